"""The Textual UI: the app, its screens and widgets."""

import os

# Textual's screen updates run on a 1/TEXTUAL_FPS timer that pauses when nothing changed.
# Resumed by a repaint (a streamed answer's frame), it next ticks one to two periods later
# (textual.timer skips one period too many), so at the default 60 a key typed just after
# such a frame waited up to 33 ms to show. At 120 that wait is at most 17 ms; frames are
# still drawn only when something changed. Set before Textual is imported (it reads it
# once); a TEXTUAL_FPS set by the user wins.
os.environ.setdefault("TEXTUAL_FPS", "120")

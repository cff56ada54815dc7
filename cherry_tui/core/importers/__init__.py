"""Readers of Cherry Studio backup files, one per format, all giving a :class:`Backup`.

``archive`` opens the file safely (size caps, entry names) and picks the reader;
``legacy_json`` reads versions 1-5 (``data.json`` or the gzip ``.bak``); ``sqlite_v7``
reads the 2.x zip. The formats are described in shared/import/cherry-backup-format.md.
"""

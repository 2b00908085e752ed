"""Serving a stored file after the caller's access check."""
from __future__ import annotations

from flask import abort, current_app, redirect, send_file

from portal.models import EntryFile
from portal.storage import backend_named, content_disposition


def file_response(file: EntryFile, download_name: str | None = None):
    """A short-lived presigned redirect (S3) or the file streamed by the app (local), after the caller's check.
    `download_name` replaces the original name (blind rounds must not reveal it)."""
    name = download_name or file.filename
    storage = backend_named(file.backend)
    url = storage.url_for_download(file.storage_key, filename=name, content_type=file.content_type,
                                   expires_in=current_app.config["S3_PRESIGN_EXPIRES"])
    if url:
        return redirect(url)
    try:
        stream = storage.open(file.storage_key)
    except FileNotFoundError:
        abort(404)
    response = send_file(stream, mimetype=file.content_type, as_attachment=True, download_name=name,
                         conditional=False, max_age=0)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["Content-Length"] = str(file.size)
    response.headers["Cache-Control"] = "private, no-store"
    return response

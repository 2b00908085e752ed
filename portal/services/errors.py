"""Errors raised by services. Views turn them into flashed messages, the API into `{"error": {...}}` JSON."""
from __future__ import annotations


class ServiceError(Exception):
    """A refusal with a stable machine code, an HTTP status and a message for people (already translated)."""

    code = "bad_request"
    status = 400

    def __init__(self, message: str, **extra):
        super().__init__(message)
        self.message = message
        self.extra = extra

    def to_dict(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, **self.extra}}


class BadRequest(ServiceError):
    """A request the server cannot read (malformed JSON, an operation this set-up does not offer)."""


class ValidationFailed(ServiceError):
    """Field errors: `fields` maps a field name to its message."""

    code, status = "validation_error", 422

    def __init__(self, message: str, fields: dict[str, str]):
        super().__init__(message, fields=fields)
        self.fields = fields


class Incomplete(ServiceError):
    code, status = "incomplete", 422

    def __init__(self, message: str, missing: list[str]):
        super().__init__(message, missing=missing)
        self.missing = missing


class Conflict(ServiceError):
    code, status = "conflict", 409


class DeadlinePassed(ServiceError):
    code, status = "deadline_passed", 409


class NotFound(ServiceError):
    code, status = "not_found", 404


class Forbidden(ServiceError):
    code, status = "forbidden", 403


class FileTooLarge(ServiceError):
    code, status = "file_too_large", 413


class FileTypeNotAllowed(ServiceError):
    code, status = "file_type_not_allowed", 415


class RateLimited(ServiceError):
    code, status = "rate_limited", 429

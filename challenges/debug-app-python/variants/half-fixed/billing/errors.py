"""Errors that become HTTP answers: the status, and {"error": message} as the body."""


class ApiError(Exception):
    status = 500

    def __init__(self, message):
        super().__init__(message)
        self.message = message


class BadRequest(ApiError):
    status = 400


class NotFound(ApiError):
    status = 404


class MethodNotAllowed(ApiError):
    status = 405


class Conflict(ApiError):
    status = 409


class PayloadTooLarge(ApiError):
    status = 413

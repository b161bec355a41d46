package io.ichiba.broker.http;

import io.ichiba.api.Model;
import io.ichiba.ledger.Rejection;
import io.vertx.ext.web.handler.HttpException;
import io.vertx.json.schema.OutputUnit;
import io.vertx.openapi.validation.SchemaValidationException;
import io.vertx.openapi.validation.ValidatorException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** RFC 9457 problem answers: every client error says what was wrong, and which field. */
public final class Problems {
    /** How vertx-openapi words a parameter that does not match its schema. */
    private static final Pattern PARAMETER = Pattern.compile("The value of (\\w+) parameter (\\S+) is invalid");

    private Problems() {
    }

    /** A problem answer with a stable code. */
    public static Reply of(int status, String code, String detail) {
        return of(status, code, detail, null);
    }

    /** A problem answer with field errors. */
    public static Reply of(int status, String code, String detail, List<Model.FieldError> errors) {
        String slug = code.toLowerCase(Locale.ROOT).replace('_', '-');
        return new Reply(status, new Model.Problem("urn:ichiba:problem:" + slug, title(status), status, detail, code,
                errors == null || errors.isEmpty() ? null : errors));
    }

    /** The problem answer for a ledger rejection. */
    public static Reply of(Rejection r) {
        int status = switch (r.code()) {
            case NOT_FOUND -> 404;
            // INSUFFICIENT_CREDIT: the request conflicts with the account's state (its balance and limit), and a
            // later request may succeed once that changes; 402 is reserved by RFC 9110 and clients do not expect it
            case ALREADY_EXISTS, WRONG_STATE, LEASE_EXPIRED, INSUFFICIENT_CREDIT, NOT_LENDABLE, PRICE,
                 WINDOW_FULL, LIMIT_REACHED -> 409;
            case INVALID -> 400;
            case TENANT_LIMIT -> 429;
            default -> 422;
        };
        if (r.limit() != null) {
            Model.Problem p = (Model.Problem) of(status, r.code().name(), r.detail()).body();
            return new Reply(status, new Model.Problem(p.type(), p.title(), status, p.detail(), p.code(), null, null,
                    null, r.limit(), r.max()));
        }
        return of(status, r.code().name(), r.detail());
    }

    /** A 401. */
    public static Reply unauthorized(String detail) {
        return of(401, "UNAUTHORIZED", detail);
    }

    /** A 403. */
    public static Reply forbidden(String detail) {
        return of(403, "FORBIDDEN", detail);
    }

    /** A 404. */
    public static Reply notFound(String detail) {
        return of(404, "NOT_FOUND", detail);
    }

    /** Turns a routing failure into a problem: contract violations name their fields; 5xx hide the cause. */
    public static Reply fromFailure(int statusCode, Throwable failure) {
        Throwable cause = failure instanceof HttpException h && h.getCause() != null ? h.getCause() : failure;
        if (cause instanceof SchemaValidationException sve) {
            List<Model.FieldError> errors = new ArrayList<>();
            collect(sve.getOutputUnit(), errors);
            Matcher parameter = sve.getMessage() == null ? null : PARAMETER.matcher(sve.getMessage());
            if (parameter != null && parameter.lookingAt()) {
                // a path, query or header parameter: no body field to point at, so the detail names it
                String why = errors.isEmpty() ? sve.getMessage() : errors.get(errors.size() - 1).message();
                return of(400, "INVALID_REQUEST", parameter.group(1) + " parameter " + parameter.group(2) + ": " + why);
            }
            String detail = errors.isEmpty() ? sve.getMessage() : mostSpecific(errors);
            return of(400, "INVALID_REQUEST", detail, errors);
        }
        if (cause instanceof ValidatorException ve) {
            return of(400, "INVALID_REQUEST", ve.getMessage());
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.ichiba.ledger.journal.DatabaseUnavailableException) {
                return of(503, "DATABASE_UNAVAILABLE", "the journal's database cannot be written: nothing is "
                        + "acknowledged until it answers again (the broker resumes by itself then); a change may not "
                        + "have been applied: retry it with the same Idempotency-Key, which applies it once");
            }
        }
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof io.ichiba.ledger.engine.EngineUnavailableException
                    || t instanceof io.ichiba.ledger.engine.NotEngineException) {
                return of(503, "ENGINE_UNAVAILABLE", "no engine could confirm the request in time (it is moving "
                        + "to another member, its journal cannot be written, or this member is cut off from the "
                        + "majority): a change may not have been applied; retry it with the same Idempotency-Key, "
                        + "which applies it once");
            }
        }
        int status = failure instanceof HttpException h ? h.getStatusCode() : statusCode;
        if (status >= 400 && status < 500) {
            String detail = failure instanceof HttpException h && h.getPayload() != null ? h.getPayload()
                    : failure != null && failure.getMessage() != null ? failure.getMessage() : title(status);
            return of(status, codeOf(status), detail);
        }
        return of(status < 500 ? 500 : status, "INTERNAL", "the broker could not complete the request; it changed "
                + "nothing that it did not report, and a retry with the same Idempotency-Key is safe");
    }

    /** The deepest field's last message: "/bundle/memory: -1 is less than 1" rather than "bundle does not match". */
    private static String mostSpecific(List<Model.FieldError> errors) {
        Model.FieldError best = errors.get(0);
        for (Model.FieldError e : errors) {
            if (e.pointer().split("/").length >= best.pointer().split("/").length) {
                best = e;
            }
        }
        return best.pointer() + ": " + best.message();
    }

    private static void collect(OutputUnit unit, List<Model.FieldError> out) {
        if (unit == null) {
            return;
        }
        if (unit.getErrors() != null && !unit.getErrors().isEmpty()) {
            unit.getErrors().forEach(u -> collect(u, out));
            return;
        }
        if (unit.getError() != null) {
            String where = unit.getInstanceLocation() == null || unit.getInstanceLocation().isEmpty() ? "/"
                    : unit.getInstanceLocation().replaceFirst("^#", "");
            Model.FieldError e = new Model.FieldError(where.isEmpty() ? "/" : where, unit.getError());
            if (!out.contains(e)) {
                out.add(e);
            }
        }
    }

    private static String codeOf(int status) {
        return switch (status) {
            case 401 -> "UNAUTHORIZED";
            case 403 -> "FORBIDDEN";
            case 404 -> "NOT_FOUND";
            case 405 -> "METHOD_NOT_ALLOWED";
            case 409 -> "CONFLICT";
            case 413 -> "BODY_TOO_LARGE";
            case 415 -> "UNSUPPORTED_MEDIA_TYPE";
            case 429 -> "TOO_MANY_REQUESTS";
            default -> "BAD_REQUEST";
        };
    }

    private static String title(int status) {
        return switch (status) {
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 409 -> "Conflict";
            case 413 -> "Content Too Large";
            case 414 -> "URI Too Long";
            case 431 -> "Request Header Fields Too Large";
            case 415 -> "Unsupported Media Type";
            case 422 -> "Unprocessable Content";
            case 429 -> "Too Many Requests";
            case 503 -> "Service Unavailable";
            default -> status >= 500 ? "Internal Server Error" : "Client Error";
        };
    }
}

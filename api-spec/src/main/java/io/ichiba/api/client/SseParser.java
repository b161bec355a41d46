package io.ichiba.api.client;

/**
 * Reads server-sent events line by line, as the HTML living standard defines them: {@code field: value} lines, a
 * blank line ends a message, lines starting with {@code :} are comments (the broker's keep-alives). Only the
 * {@code id}, {@code event} and {@code data} fields are kept; several {@code data} lines join with {@code \n}.
 */
final class SseParser {
    /** One message: its {@code id} and {@code event} fields ({@code null} when absent) and its data. */
    record Message(String id, String event, String data) {
    }

    private String id;
    private String event;
    private StringBuilder data;

    /**
     * Takes one line (without its line end).
     *
     * @return the message this blank line ends, or {@code null} for any other line or a message without data
     */
    Message line(String line) {
        if (line.isEmpty()) {
            Message m = data == null ? null : new Message(id, event, data.toString());
            id = null;
            event = null;
            data = null;
            return m;
        }
        if (line.charAt(0) == ':') {
            return null;
        }
        int colon = line.indexOf(':');
        String field = colon < 0 ? line : line.substring(0, colon);
        String value = colon < 0 ? "" : line.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        switch (field) {
            case "id" -> id = value;
            case "event" -> event = value;
            case "data" -> {
                if (data == null) {
                    data = new StringBuilder(value);
                } else {
                    data.append('\n').append(value);
                }
            }
            default -> {
                // retry and unknown fields are ignored
            }
        }
        return null;
    }
}

package io.ichiba.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.InputStream;
import java.io.UncheckedIOException;

/** The JSON mapping of the wire records, and where the contract lives. */
public final class Wire {
    /** The classpath resource of the OpenAPI contract (the file {@code api-spec/openapi.yaml}, packaged here). */
    public static final String CONTRACT = "io/ichiba/api/openapi.yaml";

    /** The mapper every side of the wire uses: ISO-8601 times, no nulls written, unknown fields kept out. */
    public static final ObjectMapper JSON = new ObjectMapper()
            .registerModule(new JavaTimeModule())
            .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    private Wire() {
    }

    /** Opens the contract from the classpath. */
    public static InputStream contract() {
        InputStream in = Wire.class.getClassLoader().getResourceAsStream(CONTRACT);
        if (in == null) {
            throw new UncheckedIOException(new java.io.FileNotFoundException(CONTRACT));
        }
        return in;
    }
}

package io.ichiba.ledger.hazelcast;

import com.hazelcast.config.ClassFilter;
import com.hazelcast.config.JavaSerializationFilterConfig;

import java.io.ObjectInputFilter;
import java.util.List;

/**
 * The classes a member builds from bytes another member sent: Ichiba's, the JDK's value and collection types, the
 * persistent maps the engine keeps, Hazelcast's and Vert.x's own. Anything else is refused before it is built, by
 * every reader a member has: Hazelcast's Java deserialization ({@link #hazelcastFilter}), the Kryo serializer's class
 * resolver ({@link #allowed}) and the Java serialization it falls back to ({@link #javaFilter}). A stranger who reaches the member port and knows the cluster's name still cannot
 * make a member instantiate a gadget class of some library on its class path.
 */
public final class SerialAllowList {
    /** The packages (prefixes of class names) whose classes may be read. */
    public static final List<String> PREFIXES = List.of("io.ichiba.", "java.lang.", "java.util.", "java.time.",
            "java.math.", "java.net.", "java.io.", "java.nio.", "org.pcollections.", "com.hazelcast.", "io.vertx.");

    private SerialAllowList() {
    }

    /** Whether {@code className} (an array's element class for an array) may be read. */
    public static boolean allowed(String className) {
        String name = className;
        while (name.startsWith("[")) {
            name = name.substring(1);
        }
        if (name.length() == 1) {
            return true; // an array of a primitive type: [I, [J, [B...
        }
        if (name.startsWith("L") && name.endsWith(";")) {
            name = name.substring(1, name.length() - 1);
        }
        for (String p : PREFIXES) {
            if (name.startsWith(p)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Hazelcast's filter for its Java deserialization: only {@link #PREFIXES}, and arrays (each element's class is
     * checked as it is read). Hazelcast's defaults are off: they would add every {@code java*} and {@code javax*}
     * class to the list.
     */
    public static JavaSerializationFilterConfig hazelcastFilter() {
        ClassFilter allow = new ClassFilter();
        PREFIXES.forEach(allow::addPrefixes);
        allow.addPrefixes("[");
        return new JavaSerializationFilterConfig().setDefaultsDisabled(true).setWhitelist(allow);
    }

    /** A filter for an {@link java.io.ObjectInputStream}: rejects every class not {@link #allowed}. */
    public static ObjectInputFilter javaFilter() {
        return info -> {
            Class<?> c = info.serialClass();
            if (c == null) {
                return ObjectInputFilter.Status.UNDECIDED;
            }
            return allowed(c.getName()) ? ObjectInputFilter.Status.ALLOWED : ObjectInputFilter.Status.REJECTED;
        };
    }
}

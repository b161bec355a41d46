# The JVM flags Hazelcast needs on Java 17 (the root pom's hz.jvm.args), for every benchmark JVM the scripts start.
# Sourced by run.sh and common.sh.
HZ_JVM_ARGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED)

# The JVM flags Hazelcast needs on Java 17 (the root pom's hz.jvm.args), for every benchmark JVM the scripts start.
# Sourced by run.sh and common.sh. The common pool of two threads is what the broker's Main sets on a machine of two
# cores or fewer: with one, Hazelcast starts a thread for every asynchronous completion (the write-behind's, over a
# thousand a second under load), and an in-process benchmark would measure that instead of the ledger.
HZ_JVM_ARGS=(--add-modules java.se --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.management/sun.management=ALL-UNNAMED
  --add-opens jdk.management/com.sun.management.internal=ALL-UNNAMED
  -Djava.util.concurrent.ForkJoinPool.common.parallelism=2)

package io.ichiba.agent;

import com.fasterxml.jackson.databind.JsonNode;
import io.ichiba.api.Wire;
import io.ichiba.api.client.IchibaClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The runner against a fake broker, with real processes ({@code sh -c}): a job starts only after the broker's 200,
 * ends with its exit code, is stopped with SIGTERM then SIGKILL, and is not lost when the runner starts again.
 */
class RunnerTest {
    private static final Duration GRACE = Duration.ofSeconds(1);
    private static final Duration BOUND = Duration.ofSeconds(15);

    @TempDir
    Path work;

    private FakeJobsBroker broker;
    private final List<Runner> runners = new CopyOnWriteArrayList<>();
    private final List<Thread> threads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws IOException {
        broker = new FakeJobsBroker("node-1");
    }

    @AfterEach
    void stop() throws InterruptedException {
        for (Runner r : runners) {
            r.stop();
        }
        for (Thread t : threads) {
            t.join(5_000);
        }
        // every process a test started, directly or through a runner, is a descendant of this JVM
        ProcessHandle.current().descendants().forEach(ProcessHandle::destroyForcibly);
        broker.close();
    }

    // ---------------------------------------------------------------- starting

    @Test
    void aJobStartsOnlyAfterTheBrokerAnswers200AndItsExitCodeIsReported() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        broker.holdStart("j1", answer);
        broker.starting("j1", 3, Map.of("GREETING", "hello"), "sh", "-c",
                "date +%s%N > started; echo \"$GREETING from $(pwd)\"; echo oops >&2; sleep 1.2; exit 3");
        Runner runner = runner(GRACE);
        Path dir = work.resolve("j1");

        await().atMost(BOUND).until(() -> !broker.requests("POST", "/v1/jobs/j1/start").isEmpty());
        await().during(Duration.ofMillis(600)).atMost(Duration.ofSeconds(3))
                .until(() -> !Files.exists(dir.resolve("started")) && runner.pids().isEmpty());
        answer.countDown();

        await().atMost(BOUND).until(() -> !broker.finishes("j1").isEmpty());
        assertThat(broker.finishes("j1")).containsExactly(json("{\"exitCode\":3}"));
        assertThat(broker.job("j1").state()).isEqualTo("FAILED");
        assertThat(broker.job("j1").reason()).isEqualTo("EXIT_3");
        Instant processStarted = Instant.ofEpochSecond(0, Long.parseLong(Files.readString(dir.resolve("started")).strip()));
        assertThat(processStarted).isAfterOrEqualTo(broker.startAnswered("j1"));
        assertThat(Files.readString(dir.resolve("output.log")))
                .contains("hello from " + dir.toRealPath()).contains("oops");
        // renewed at once, then every third of the 3 s lease while it ran 1.2 s
        assertThat(broker.requests("POST", "/v1/jobs/j1/renew")).hasSizeGreaterThanOrEqualTo(2);
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
        assertThat(dir.resolve(JobRecords.FILE)).doesNotExist();
    }

    /**
     * Issue 14: a job gets none of its runner's variables but {@link Runner#PASSED} (the agent's token is among them),
     * its own {@code env}, and its ids; its directory is its runner's user's alone (0700).
     */
    @Test
    void aJobSeesOnlyItsOwnVariablesAndAFewOfTheRunnersInADirectoryOfItsOwn() throws Exception {
        broker.starting("j9", 3, Map.of("GREETING", "hello", "ICHIBA_JOB_ID", "not mine"), "sh", "-c",
                "env > env.txt");
        runner(GRACE);

        await().atMost(BOUND).until(() -> !broker.finishes("j9").isEmpty());
        Path dir = work.resolve("j9");
        Map<String, String> seen = new java.util.TreeMap<>();
        for (String line : Files.readAllLines(dir.resolve("env.txt"))) {
            int eq = line.indexOf('=');
            if (eq > 0) {
                seen.put(line.substring(0, eq), line.substring(eq + 1));
            }
        }
        // what sh sets of its own (PWD, SHLVL, _) is not the runner's
        seen.keySet().removeAll(List.of("PWD", "SHLVL", "_", "OLDPWD"));
        java.util.Set<String> allowed = new java.util.HashSet<>(Runner.PASSED);
        allowed.addAll(List.of("GREETING", "ICHIBA_JOB_ID", "ICHIBA_CLAIM_ID"));
        assertThat(allowed).containsAll(seen.keySet());
        assertThat(seen).containsEntry("GREETING", "hello").containsEntry("ICHIBA_JOB_ID", "j9")
                .containsEntry("ICHIBA_CLAIM_ID", "j9");
        assertThat(System.getenv().keySet()).as("the runner's variables, most of them not passed")
                .anyMatch(name -> !allowed.contains(name) && !seen.containsKey(name));
        if (System.getenv("PATH") != null) {
            assertThat(seen).containsEntry("PATH", System.getenv("PATH"));
        }
        assertThat(Files.getPosixFilePermissions(dir))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    }

    /**
     * Issue 14, {@code --run-as}: a job runs as its tenant's user, not root, in a work directory only that user
     * reads; it cannot read the runner's state file or its own log's directory listing, nor another tenant's work.
     * Needs root, {@code setpriv} and the users {@code nobody} and {@code daemon} (Debian has them).
     */
    @Test
    void aJobRunAsItsTenantsUserIsNotRootAndReadsNeitherTheRunnersFilesNorAnotherTenantsWork() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(ProcessHandle.current().info().user().orElse(""))
                && Files.isExecutable(Path.of("/usr/bin/setpriv")), "needs root and setpriv");
        broker.startingFor("team-b", "b1", "sh", "-c", "echo secret-of-b > mine.txt; sleep 5");
        runner(GRACE, new JobUsers("nobody", Map.of("team-b", "daemon")));
        Path theirs = work.resolve("b1").resolve("work").resolve("mine.txt");
        await().atMost(BOUND).until(() -> Files.exists(theirs));
        broker.startingFor("team-a", "a1", "sh", "-c", "id -u; echo home=$HOME; "
                + "cat ../" + JobRecords.FILE + " && echo READ-STATE; ls .. && echo LISTED-JOB; "
                + "ls " + work + " && echo LISTED-WORK; cat " + theirs + " && echo READ-OTHER; echo done");
        await().atMost(BOUND).until(() -> !broker.finishes("a1").isEmpty());
        String out = Files.readString(work.resolve("a1").resolve("output.log"));
        assertThat(out).startsWith("65534").contains("home=" + work.resolve("a1").resolve("work")).contains("done")
                .doesNotContain("READ-STATE", "LISTED-JOB", "LISTED-WORK", "READ-OTHER", "secret-of-b");
        assertThat(Files.getOwner(work.resolve("a1").resolve("work")).getName()).isEqualTo("nobody");
        assertThat(Files.getPosixFilePermissions(work.resolve("a1").resolve("work")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.getPosixFilePermissions(work.resolve("a1").resolve("output.log")))
                .isEqualTo(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getOwner(work.resolve("b1").resolve("work")).getName()).isEqualTo("daemon");
    }

    @Test
    void aJobOfAUserThatDoesNotExistFailsToStartAndSaysWhy() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue("root".equals(ProcessHandle.current().info().user().orElse("")),
                "needs root");
        broker.startingFor("team-a", "x1", "sh", "-c", "echo never");
        runner(GRACE, new JobUsers("no-such-user-here", Map.of()));
        await().atMost(BOUND).until(() -> !broker.finishes("x1").isEmpty());
        assertThat(broker.finishes("x1").get(0).get("error").asText()).contains("no user no-such-user-here");
    }

    /** Issue 14: the bundle's memory bounds the job's address space where prlimit is the means, and the start says so. */
    @Test
    void aJobIsHeldToItsBundlesMemoryAndItsStartSaysHow() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "needs prlimit");
        broker.starting("m1", 3, Map.of(), "sh", "-c", "grep 'Max address space' /proc/self/limits");
        runner(GRACE, JobUsers.SAME, JobLimits.Mode.PRLIMIT);
        await().atMost(BOUND).until(() -> !broker.finishes("m1").isEmpty());
        assertThat(Files.readString(work.resolve("m1").resolve("output.log")))
                .containsPattern("Max address space\\s+104857600\\s+104857600");
        assertThat(broker.requests("POST", "/v1/jobs/m1/start").get(0).body().get("limits").asText())
                .isEqualTo("memory 100 MiB: address space (prlimit --as)");
    }

    @Test
    void aMissingProgramStartedThroughAWrapperStillFailsToStartWithItsName() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prlimit")), "needs prlimit");
        broker.starting("m3", 3, Map.of(), "/no/such/program-xyz", "--help");
        runner(GRACE, JobUsers.SAME, JobLimits.Mode.PRLIMIT);
        await().atMost(BOUND).until(() -> !broker.finishes("m3").isEmpty());
        assertThat(broker.finishes("m3").get(0).get("error").asText()).contains("cannot start /no/such/program-xyz");
        assertThat(Runner.runnable("sh", "/nowhere:/bin:/usr/bin", work)).isTrue();
        assertThat(Runner.runnable("no-such-program-xyz", "/bin:/usr/bin", work)).isFalse();
        assertThat(Runner.runnable("./here", null, work)).isFalse();
    }

    @Test
    void withTheLimitOffAJobIsNotHeldAndItsStartSaysSo() throws Exception {
        broker.starting("m2", 3, Map.of(), "sh", "-c", "grep 'Max address space' /proc/self/limits");
        runner(GRACE, JobUsers.SAME, JobLimits.Mode.OFF);
        await().atMost(BOUND).until(() -> !broker.finishes("m2").isEmpty());
        assertThat(Files.readString(work.resolve("m2").resolve("output.log"))).contains("unlimited");
        assertThat(broker.requests("POST", "/v1/jobs/m2/start").get(0).body().get("limits").asText())
                .isEqualTo("none: --memory-limit off");
    }

    @Test
    void theRunAsMapNamesAUserPerTenantOverTheDefault(@TempDir Path dir) throws Exception {
        Path map = Files.writeString(dir.resolve("users"), "# tenant = user\nteam-a = alice\n team-b=bob # b\n\n");
        JobUsers u = JobUsers.load("jobs", map);
        assertThat(u.userFor("team-a")).isEqualTo("alice");
        assertThat(u.userFor("team-b")).isEqualTo("bob");
        assertThat(u.userFor("team-c")).isEqualTo("jobs");
        assertThat(JobUsers.load(null, map).userFor("team-c")).isNull();
        assertThat(JobUsers.SAME.switches()).isFalse();
        Files.writeString(map, "team-a alice\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JobUsers.load(null, map))
                .hasMessageContaining(":1: expected 'tenant = user'");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> JobUsers.load("root; rm -rf /", null))
                .hasMessageContaining("not a user name");
        assertThat(JobUsers.as("alice", "staff", List.of("sh", "-c", "x"))).containsExactly("setpriv",
                "--reuid=alice", "--regid=staff", "--init-groups", "--no-new-privs", "--", "sh", "-c", "x");
    }

    @Test
    void theRunnersVariablesOtherThanAFewNeverReachAJob() {
        Map<String, String> runner = Map.of("PATH", "/usr/bin", "HOME", "/root", "ICHIBA_AGENT_TOKEN", "secret",
                "ICHIBA_BROKER", "http://broker", "AWS_SECRET_ACCESS_KEY", "x");
        assertThat(Runner.environment(runner, new io.ichiba.api.Model.Job("j", "t", "STARTING", null, "node-1",
                List.of("true"), Map.of("MINE", "1"), null, 0, 3, false, null, null, null, null)))
                .containsExactlyInAnyOrderEntriesOf(Map.of("PATH", "/usr/bin", "HOME", "/root", "MINE", "1",
                        "ICHIBA_JOB_ID", "j", "ICHIBA_CLAIM_ID", "j"));
    }

    @Test
    void aJobWhoseStartIsRefusedIsNeverRun() throws Exception {
        CountDownLatch answer = new CountDownLatch(1);
        broker.holdStart("j2", answer);
        broker.starting("j2", 3, Map.of(), "sh", "-c", "touch ran");
        Runner runner = runner(GRACE);
        await().atMost(BOUND).until(() -> !broker.requests("POST", "/v1/jobs/j2/start").isEmpty());

        broker.cancel("j2"); // the tenant cancels while the runner asks: the start is answered 409
        answer.countDown();

        long polls = runner.polls();
        await().atMost(BOUND).until(() -> runner.polls() >= polls + 2 && runner.jobs().isEmpty());
        assertThat(work.resolve("j2/ran")).doesNotExist();
        assertThat(work.resolve("j2")).as("a job that never ran leaves nothing behind").doesNotExist();
        assertThat(broker.requests("POST", "/v1/jobs/j2/start")).hasSize(1);
        assertThat(broker.finishes("j2")).isEmpty();
        assertThat(broker.requests("POST", "/v1/jobs/j2/renew")).isEmpty();
        assertThat(broker.job("j2").state()).isEqualTo("CANCELLED");
    }

    @Test
    void aMissingExecutableIsFinishedWithItsError() {
        broker.starting("j3", 3, Map.of(), "/no/such/program-xyz", "--flag");
        Runner runner = runner(GRACE);

        await().atMost(BOUND).until(() -> !broker.finishes("j3").isEmpty());

        JsonNode f = broker.finishes("j3").get(0);
        assertThat(f.has("exitCode")).isFalse();
        assertThat(f.get("error").asText()).contains("/no/such/program-xyz").contains("No such file")
                .doesNotContain("--flag"); // a job's arguments are not logged, nor told
        assertThat(broker.job("j3").state()).isEqualTo("FAILED");
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
    }

    // ---------------------------------------------------------------- stopping

    @Test
    void aCancelSendsSigtermAndAProcessThatSurvivesItGetsSigkillAfterTheGrace() throws Exception {
        broker.starting("j4", 30, Map.of(), "sh", "-c",
                "trap 'echo TERM >> term.txt' TERM; echo $$ > pid; while :; do sleep 0.1; done");
        Runner runner = runner(GRACE);
        Path dir = work.resolve("j4");
        await().atMost(BOUND).until(() -> Files.exists(dir.resolve("pid")) && runner.pids().containsKey("j4"));
        long pid = runner.pids().get("j4");

        Instant cancelled = Instant.now();
        broker.cancel("j4");

        await().atMost(BOUND).until(() -> !broker.finishes("j4").isEmpty());
        Duration took = Duration.between(cancelled, Instant.now());
        assertThat(Files.readString(dir.resolve("term.txt"))).contains("TERM");
        assertThat(took).isGreaterThanOrEqualTo(GRACE.minusMillis(100));
        assertThat(broker.finishes("j4")).containsExactly(json("{\"exitCode\":137}"));
        assertThat(broker.job("j4").state()).isEqualTo("CANCELLED");
        assertThat(alive(pid)).isFalse();
    }

    @Test
    void theWholeTreeIsKilledEvenWhenItIgnoresSigterm() throws Exception {
        broker.starting("j5", 30, Map.of(), "sh", "-c", "trap '' TERM; sleep 30 & echo $! > child.pid; wait");
        Runner runner = runner(GRACE);
        Path childPid = work.resolve("j5/child.pid");
        await().atMost(BOUND).until(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank()
                && runner.pids().containsKey("j5"));
        long pid = runner.pids().get("j5");
        long child = Long.parseLong(Files.readString(childPid).strip());
        assertThat(alive(child)).isTrue();

        broker.cancel("j5");

        await().atMost(BOUND).until(() -> !broker.finishes("j5").isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(pid) && !alive(child));
        assertThat(broker.finishes("j5")).containsExactly(json("{\"exitCode\":137}"));
        assertThat(broker.job("j5").state()).isEqualTo("CANCELLED");
    }

    @Test
    void aTreeThatHonoursSigtermEndsWithoutWaitingForTheGrace() throws Exception {
        broker.starting("j6", 30, Map.of(), "sh", "-c", "sleep 30 & echo $! > child.pid; wait");
        Runner runner = runner(Duration.ofSeconds(20));
        Path childPid = work.resolve("j6/child.pid");
        await().atMost(BOUND).until(() -> Files.exists(childPid) && !Files.readString(childPid).isBlank()
                && runner.pids().containsKey("j6"));
        long child = Long.parseLong(Files.readString(childPid).strip());

        broker.cancel("j6");

        await().atMost(Duration.ofSeconds(8)).until(() -> !broker.finishes("j6").isEmpty());
        assertThat(broker.finishes("j6")).containsExactly(json("{\"exitCode\":143}"));
        assertThat(broker.job("j6").state()).isEqualTo("CANCELLED");
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(child));
    }

    @Test
    void aJobThatEndsOnTheBrokerIsKilledAndStillFinished() {
        broker.starting("j7", 3, Map.of(), "sh", "-c", "sleep 30");
        Runner runner = runner(GRACE);
        await().atMost(BOUND).until(() -> runner.pids().containsKey("j7"));
        long pid = runner.pids().get("j7");

        broker.end("j7", "LOST", "NODE_LOST");

        await().atMost(BOUND).until(() -> !broker.finishes("j7").isEmpty());
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(pid));
        assertThat(broker.finishes("j7").get(0).get("exitCode").asInt()).isEqualTo(143);
        assertThat(broker.job("j7").state()).as("the broker's end stands").isEqualTo("LOST");
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
    }

    @Test
    void brokerFailuresAreRetriedAndTheJobRunsOnce() throws Exception {
        broker.fail("GET", "/v1/nodes/node-1/jobs", 3);
        broker.fail("POST", "/v1/jobs/j8/start", 2);
        broker.fail("POST", "/v1/jobs/j8/finish", 2);
        broker.starting("j8", 3, Map.of(), "sh", "-c", "echo run >> runs");
        Runner runner = runner(GRACE);

        await().atMost(BOUND).until(() -> "SUCCEEDED".equals(broker.job("j8").state()));

        assertThat(broker.requests("POST", "/v1/jobs/j8/start")).hasSize(3);
        assertThat(broker.finishes("j8")).hasSize(3).allMatch(f -> f.equals(json("{\"exitCode\":0}")));
        assertThat(Files.readAllLines(work.resolve("j8/runs"))).containsExactly("run");
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
    }

    // ---------------------------------------------------------------- restart

    @Test
    void aLiveProcessFromBeforeARestartIsAdoptedRenewedAndFinishedWithUnknownExit() throws Exception {
        ProcessHandle process = spawn("sleep", "30");
        record("j9", process, null, null);
        broker.running("j9", 3, "sleep", "30");

        Runner runner = runner(GRACE);

        await().atMost(BOUND).until(() -> broker.requests("POST", "/v1/jobs/j9/renew").size() >= 2);
        assertThat(runner.pids()).containsEntry("j9", process.pid());
        assertThat(broker.finishes("j9")).isEmpty();
        assertThat(broker.requests("POST", "/v1/jobs/j9/start")).isEmpty();

        process.destroy(); // it ends on its own, as far as the runner can tell

        await().atMost(BOUND).until(() -> !broker.finishes("j9").isEmpty());
        assertThat(broker.finishes("j9")).containsExactly(json("{\"error\":\"" + Runner.EXIT_UNKNOWN + "\"}"));
        assertThat(broker.job("j9").state()).isEqualTo("FAILED");
        await().atMost(BOUND).until(() -> !Files.exists(work.resolve("j9").resolve(JobRecords.FILE)));
    }

    @Test
    void anAdoptedProcessIsKilledWhenItsJobIsCancelled() {
        ProcessHandle process = spawn("sh", "-c", "trap '' TERM; sleep 30");
        record("j10", process, null, null);
        broker.running("j10", 30, "sh", "-c", "trap '' TERM; sleep 30");
        Runner runner = runner(GRACE);
        await().atMost(BOUND).until(() -> runner.pids().containsKey("j10"));
        List<ProcessHandle> tree = process.descendants().toList();

        broker.cancel("j10");

        await().atMost(BOUND).until(() -> !broker.finishes("j10").isEmpty());
        assertThat(broker.finishes("j10").get(0).get("error").asText()).startsWith(Runner.EXIT_UNKNOWN)
                .contains("cancel requested");
        assertThat(broker.job("j10").state()).isEqualTo("CANCELLED");
        await().atMost(Duration.ofSeconds(5)).until(() -> !process.isAlive()
                && tree.stream().noneMatch(ProcessHandle::isAlive));
    }

    @Test
    void aRecordedProcessThatIsGoneOrIsAnotherProcessIsFinishedWithAnError() throws Exception {
        Process done = new ProcessBuilder("sleep", "30").start();
        ProcessHandle gone = done.toHandle();
        Instant goneStart = gone.info().startInstant().orElseThrow();
        done.destroyForcibly().waitFor();
        new JobRecords(work).write(new JobRecords.JobRecord("j11", gone.pid(), goneStart, 3, null, null));
        ProcessHandle self = ProcessHandle.current(); // alive, but not the process that was recorded
        new JobRecords(work).write(new JobRecords.JobRecord("j12", self.pid(),
                self.info().startInstant().orElseThrow().minus(Duration.ofHours(1)), 3, null, null));
        broker.running("j11", 3, "true");
        broker.running("j12", 3, "true");

        Runner runner = runner(GRACE);

        await().atMost(BOUND).until(() -> broker.finishes("j11").size() == 1 && broker.finishes("j12").size() == 1);
        assertThat(broker.finishes("j11").get(0).get("error").asText())
                .contains("pid " + gone.pid() + ") was gone").contains("exit code unknown");
        assertThat(broker.finishes("j12").get(0).get("error").asText()).contains("was gone");
        assertThat(broker.job("j11").state()).isEqualTo("FAILED");
        assertThat(broker.job("j12").state()).isEqualTo("FAILED");
        assertThat(self.isAlive()).isTrue();
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
    }

    @Test
    void aResultRecordedBeforeARestartIsSentAgain() throws Exception {
        new JobRecords(work).write(new JobRecords.JobRecord("j13", 1L, null, 3, 0, null));
        broker.running("j13", 3, "true");

        runner(GRACE);

        await().atMost(BOUND).until(() -> "SUCCEEDED".equals(broker.job("j13").state()));
        assertThat(broker.finishes("j13")).containsExactly(json("{\"exitCode\":0}"));
    }

    @Test
    void aStartRecordedWithoutAProcessIsStartedIfStillStartingElseFinished() throws Exception {
        new JobRecords(work).write(new JobRecords.JobRecord("j14", null, null, 3, null, null));
        new JobRecords(work).write(new JobRecords.JobRecord("j15", null, null, 3, null, null));
        broker.starting("j14", 3, Map.of(), "sh", "-c", "exit 0");
        broker.running("j15", 3, "sh", "-c", "exit 0");

        Runner runner = runner(GRACE);

        await().atMost(BOUND).until(() -> "SUCCEEDED".equals(broker.job("j14").state())
                && "FAILED".equals(broker.job("j15").state()));
        assertThat(broker.finishes("j14")).containsExactly(json("{\"exitCode\":0}"));
        assertThat(broker.finishes("j15").get(0).get("error").asText()).contains("runner restarted");
        assertThat(broker.requests("POST", "/v1/jobs/j15/start")).isEmpty();
        await().atMost(BOUND).until(() -> runner.jobs().isEmpty());
    }

    @Test
    void aRunningJobTheRunnerHasNoRecordOfIsFinished() {
        broker.running("j16", 3, "sleep", "30");

        runner(GRACE);

        await().atMost(BOUND).until(() -> "FAILED".equals(broker.job("j16").state()));
        assertThat(broker.finishes("j16")).hasSize(1);
        assertThat(broker.finishes("j16").get(0).get("error").asText()).contains("no record");
    }

    @Test
    void aStoppedRunnerLeavesItsProcessForTheNextOneToAdopt() throws Exception {
        broker.starting("j17", 3, Map.of(), "sh", "-c", "sleep 30");
        Runner first = runner(GRACE);
        await().atMost(BOUND).until(() -> first.pids().containsKey("j17"));
        long pid = first.pids().get("j17");

        first.stop();

        assertThat(alive(pid)).isTrue();
        assertThat(work.resolve("j17").resolve(JobRecords.FILE)).exists();
        Runner second = runner(GRACE);
        await().atMost(BOUND).until(() -> second.pids().containsKey("j17"));
        assertThat(second.pids()).containsEntry("j17", pid);
        int renewals = broker.requests("POST", "/v1/jobs/j17/renew").size();
        await().atMost(BOUND).until(() -> broker.requests("POST", "/v1/jobs/j17/renew").size() > renewals);

        broker.cancel("j17");

        await().atMost(BOUND).until(() -> "CANCELLED".equals(broker.job("j17").state()));
        await().atMost(Duration.ofSeconds(5)).until(() -> !alive(pid));
        assertThat(broker.finishes("j17")).hasSize(1);
        assertThat(broker.requests("POST", "/v1/jobs/j17/start")).hasSize(1);
    }

    // ---------------------------------------------------------------- helpers

    private Runner runner(Duration grace) {
        return runner(grace, JobUsers.SAME);
    }

    private Runner runner(Duration grace, JobUsers users) {
        return runner(grace, users, JobLimits.Mode.OFF);
    }

    private Runner runner(Duration grace, JobUsers users, JobLimits.Mode limits) {
        IchibaClient client = IchibaClient.builder(broker.url()).token("agent-token")
                .connectTimeout(Duration.ofSeconds(2)).requestTimeout(Duration.ofSeconds(5)).build();
        RunnerSettings settings = RunnerSettings.defaults(work).withPollWait(Duration.ofSeconds(1))
                .withKillGrace(grace).withBusyPause(Duration.ofMillis(50)).withUsers(users).withLimits(limits);
        Runner r = new Runner("node-1", client, settings, new Backoff(Duration.ofMillis(50), Duration.ofMillis(400),
                () -> 0.5), Sleeper.SYSTEM);
        Thread t = new Thread(r, "runner-under-test");
        t.setDaemon(true);
        t.start();
        runners.add(r);
        threads.add(t);
        return r;
    }

    private static ProcessHandle spawn(String... command) {
        try {
            return new ProcessBuilder(command).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectErrorStream(true).start().toHandle();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String job, ProcessHandle process, Integer exit, String error) {
        try {
            new JobRecords(work).write(new JobRecords.JobRecord(job, process.pid(),
                    process.info().startInstant().orElseThrow(), 3, exit, error));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean alive(long pid) {
        return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
    }

    private static JsonNode json(String text) {
        try {
            return Wire.JSON.readTree(text);
        } catch (IOException e) {
            throw new IllegalArgumentException(e);
        }
    }
}

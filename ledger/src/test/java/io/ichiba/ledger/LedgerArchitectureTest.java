package io.ichiba.ledger;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;

import java.time.Clock;
import java.time.Instant;
import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The ledger's layering (CONVENTIONS.md, "Layout"): plain Java that knows neither Vert.x nor the broker, with
 * Hazelcast confined to its adapter package, capability packages without cycles between them, and time only from
 * the injected clock.
 */
@AnalyzeClasses(packages = "io.ichiba.ledger", importOptions = ImportOption.DoNotIncludeTests.class)
class LedgerArchitectureTest {

    @ArchTest
    static final ArchRule noVertx = noClasses().that().resideInAPackage("io.ichiba.ledger..")
            .should().dependOnClassesThat().resideInAPackage("io.vertx..")
            .because("the ledger is plain Java that a unit test drives with a fake clock");

    @ArchTest
    static final ArchRule hazelcastOnlyInItsAdapter = noClasses().that().resideInAPackage("io.ichiba.ledger..")
            .and().resideOutsideOfPackage("io.ichiba.ledger.hazelcast..")
            .should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
            .because("only io.ichiba.ledger.hazelcast knows Hazelcast");

    @ArchTest
    static final ArchRule nothingPointsBackAtTheBroker = noClasses().that().resideInAPackage("io.ichiba.ledger..")
            .should().dependOnClassesThat().resideInAPackage("io.ichiba.broker..")
            .because("dependencies point one way: broker -> ledger");

    @ArchTest
    static final ArchRule coreDoesNotKnowItsAdapters = noClasses().that()
            .resideInAnyPackage("io.ichiba.ledger", "io.ichiba.ledger.store")
            .should().dependOnClassesThat().resideInAPackage("io.ichiba.ledger.hazelcast..")
            .because("the domain and the Store interface do not depend on one implementation");

    @ArchTest
    static final ArchRule timeComesFromTheInjectedClock = noClasses().that().resideInAPackage("io.ichiba.ledger..")
            .should().callMethod(System.class, "currentTimeMillis")
            .orShould().callMethod(Instant.class, "now")
            .orShould().callMethod(Clock.class, "systemUTC")
            .orShould().callMethod(Clock.class, "systemDefaultZone")
            .because("ledger takes a Clock; tests advance a fake one (CONVENTIONS.md habit 6)");

    /** The engine times its appends and bounds its waits for a moving engine: intervals, never the ledger's time. */
    @ArchTest
    static final ArchRule onlyTheEngineMeasuresIntervals = noClasses().that().resideInAPackage("io.ichiba.ledger..")
            .and().resideOutsideOfPackage("io.ichiba.ledger.engine")
            .should().callMethod(System.class, "nanoTime")
            .because("ledger takes a Clock; only the engine measures its own latency and bounds its waits");

    @ArchTest
    static final ArchRule theEngineAndTheJournalDoNotKnowHazelcast = noClasses().that()
            .resideInAnyPackage("io.ichiba.ledger.engine", "io.ichiba.ledger.journal")
            .should().dependOnClassesThat().resideInAPackage("com.hazelcast..")
            .because("only io.ichiba.ledger.hazelcast knows Hazelcast (CONVENTIONS.md)");

    /** The packages that hold one capability each (the engine, the journal, the store and Hazelcast are not). */
    static final List<String> CAPABILITIES = List.of("event", "pool", "tenant", "claim", "credit",
            "market", "reservation", "job", "handler");

    @ArchTest
    static final ArchRule capabilitiesHaveNoCycles = slices().assignedFrom(new SliceAssignment() {
                @Override
                public SliceIdentifier getIdentifierOf(JavaClass c) {
                    String pkg = c.getPackageName();
                    for (String cap : CAPABILITIES) {
                        if (pkg.equals("io.ichiba.ledger." + cap) || pkg.startsWith("io.ichiba.ledger." + cap + ".")) {
                            return SliceIdentifier.of(cap);
                        }
                    }
                    return SliceIdentifier.ignore();
                }

                @Override
                public String getDescription() {
                    return "the ledger's capability packages";
                }
            }).should().beFreeOfCycles()
            .because("a package holds one capability whole, and depends on the ones below it only (CONVENTIONS.md)");

    @ArchTest
    static final ArchRule capabilitiesDoNotKnowTheEngine = noClasses().that().resideInAnyPackage(
                    CAPABILITIES.stream().map(c -> "io.ichiba.ledger." + c + "..").toArray(String[]::new))
            .should().dependOnClassesThat().resideInAnyPackage("io.ichiba.ledger.engine..",
                    "io.ichiba.ledger.hazelcast..", "io.ichiba.ledger.journal..")
            .because("records and their commands are pure: the engine runs them, they do not know it");
}

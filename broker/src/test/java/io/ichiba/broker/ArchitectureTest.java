package io.ichiba.broker;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** DESIGN.md §3: dependencies point one way; ledger and pricing know nothing of Vert.x. */
class ArchitectureTest {
    private static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("io.ichiba");

    @Test
    void ledgerAndPricingDoNotKnowVertxOrTheBroker() {
        noClasses().that().resideInAnyPackage("io.ichiba.ledger..", "io.ichiba.pricing..")
                .should().dependOnClassesThat().resideInAnyPackage("io.vertx..", "io.ichiba.broker..")
                .check(CLASSES);
    }

    @Test
    void onlyTheLedgersHazelcastPackageAndTheBrokerKnowHazelcast() {
        noClasses().that().resideInAnyPackage("io.ichiba.ledger..", "io.ichiba.pricing..", "io.ichiba.api..")
                .and().resideOutsideOfPackage("io.ichiba.ledger.hazelcast..")
                .should().dependOnClassesThat().resideInAnyPackage("com.hazelcast..")
                .check(CLASSES);
    }

    @Test
    void theApiSpecDependsOnNoOtherModule() {
        noClasses().that().resideInAPackage("io.ichiba.api..")
                .should().dependOnClassesThat().resideInAnyPackage("io.ichiba.ledger..", "io.ichiba.broker..",
                        "io.ichiba.pricing..", "io.vertx..")
                .check(CLASSES);
    }
}

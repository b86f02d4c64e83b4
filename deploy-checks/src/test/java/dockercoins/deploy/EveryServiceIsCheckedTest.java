package dockercoins.deploy;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** No service's deployment goes unchecked against its code once its module is in the build. */
class EveryServiceIsCheckedTest {

    @Test
    void everyServiceModuleOfTheBuildCanBeStartedByTheseTests() {
        for (String service : Contract.SERVICES) {
            if (Repo.modules().contains(service)) {
                assertTrue(InProcess.FACTORIES.containsKey(service), service + " is a module now: add it to InProcess.FACTORIES"
                    + " (and its dependency to deploy-checks/pom.xml), so its deployment is held against its code");
            } else {
                System.err.println("!!! " + service + " is not a module of this checkout yet: its deployment files are checked"
                    + " statically only !!!");
            }
        }
    }
}

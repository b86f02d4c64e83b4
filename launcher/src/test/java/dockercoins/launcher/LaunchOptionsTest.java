package dockercoins.launcher;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LaunchOptionsTest {

    @Test
    void defaultsAreOneWorkerAndTheContractPorts() {
        LaunchOptions options = LaunchOptions.parse();
        assertEquals(1, options.workers());
        assertEquals(8000, options.webuiPort());
        assertEquals(8001, options.rngPort());
        assertEquals(8002, options.hasherPort());
        assertEquals(8003, options.workerPort(1));
        assertEquals("127.0.0.1", options.listenAddress(), "a laptop on a conference network shows nothing to it");
    }

    @Test
    void allAddressesIsAskedFor() {
        assertEquals("0.0.0.0", LaunchOptions.parse("--all-addresses").listenAddress(), "a lab VM, opened by its address");
    }

    @Test
    void workersAndPortsAreRead() {
        LaunchOptions options = LaunchOptions.parse("--workers", "8", "--ports", "9000");
        assertEquals(8, options.workers());
        assertEquals(9010, options.workerPort(8));
        assertTrue(LaunchOptions.parse("--help").help());
    }

    @Test
    void aBadFlagGetsOneClearLine() {
        assertEquals("unknown argument \"--wrokers\" (try --help)",
            assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--wrokers", "2")).getMessage());
        assertEquals("--workers \"many\" is invalid: expected a number from 1 to 200",
            assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--workers", "many")).getMessage());
        assertEquals("--workers needs a number from 1 to 200",
            assertThrows(IllegalArgumentException.class, () -> LaunchOptions.parse("--workers")).getMessage());
    }
}

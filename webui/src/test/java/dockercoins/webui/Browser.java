package dockercoins.webui;

import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.logging.Level;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Debian's Chromium, headless, driven through Debian's chromedriver by Selenium. Both are named
 * explicitly, so Selenium Manager never looks for (or downloads) anything. Without them a local run
 * skips the browser tests loudly; under CI (CI=true) their absence is a failure.
 */
final class Browser {

    private static final List<String> BROWSERS = List.of("chromium", "chromium-browser", "google-chrome");
    private static final List<String> DRIVERS = List.of("chromedriver");

    private Browser() {
    }

    /** A fresh headless browser with its own empty profile in {@code profile}, 1280×1000 like a laptop screen. */
    static ChromeDriver open(Path profile) throws IOException {
        Optional<Path> browser = find(BROWSERS);
        Optional<Path> driver = find(DRIVERS);
        if (browser.isEmpty() || driver.isEmpty()) {
            String message = "no " + (browser.isEmpty() ? "Chromium" : "chromedriver") + " on PATH "
                + "(apt-get install chromium chromium-driver): the dashboard's browser test is SKIPPED";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                fail(message + " — and CI must not skip it");
            }
            System.err.println("\n!!! " + message + " !!!\n");
            Assumptions.abort(message);
        }
        System.setProperty("webdriver.chrome.driver", driver.get().toString());
        ChromeDriverService service = new ChromeDriverService.Builder()
            .usingDriverExecutable(driver.get().toFile())
            .usingAnyFreePort()
            .build();
        ChromeOptions options = new ChromeOptions()
            .setBinary(browser.get().toFile())
            .addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1280,1000", "--hide-scrollbars",
                "--user-data-dir=" + Files.createDirectories(profile));
        LoggingPreferences logs = new LoggingPreferences();
        logs.enable(LogType.BROWSER, Level.ALL);  // console errors, CSP violations and failed loads included
        options.setCapability("goog:loggingPrefs", logs);
        return new ChromeDriver(service, options);
    }

    private static Optional<Path> find(List<String> names) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            for (String name : names) {
                Path candidate = Path.of(dir, name);
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        }
        return Optional.empty();
    }
}

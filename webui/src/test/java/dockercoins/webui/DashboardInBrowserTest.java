package dockercoins.webui;

import dockercoins.hasher.Hasher;
import dockercoins.localredis.LocalRedis;
import dockercoins.rng.Rng;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.Services;
import dockercoins.worker.Worker;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The dashboard in a real headless browser, opened as a newcomer would open it through
 * {@code kubectl proxy}: under a path prefix, with the real miner running (rng, hasher, and workers
 * scaled as {@code kubectl scale deploy/worker} would). Screenshots go to target/.
 */
@ExtendWith(VertxExtension.class)
class DashboardInBrowserTest {

    private static final Pattern SPEED = Pattern.compile("~(\\d+\\.\\d) hashes/second");
    /** How long each step of the scale-out lasts (1, then 3, then 6 workers); longer for the README's screenshot. */
    private static final int SCALE_EVERY_SECONDS = Integer.getInteger("dashboard.scaleEverySeconds", 8);
    private static final Path TARGET = Path.of("target");
    private static final List<String> POD_NAMES = List.of("worker-7c9d4b5f8-qx2kz", "worker-7c9d4b5f8-m4h7p",
        "worker-7c9d4b5f8-b8d2w", "worker-7c9d4b5f8-t6n3c", "worker-7c9d4b5f8-z9k5r", "worker-7c9d4b5f8-f2v8j");

    private ChromeDriver browser;
    private LocalRedis redis;
    private RunningService webui;
    private PathPrefixProxy proxy;
    private RunningService rng;
    private RunningService hasher;
    private final List<RunningService> workers = new ArrayList<>();

    @BeforeEach
    void start(Vertx vertx, @TempDir Path profile) throws Exception {
        browser = Browser.open(profile);  // first: without a browser the test stops here, loudly
        redis = LocalRedis.start(0);
        webui = Services.start("webui", Webui::deployment, Map.of("REDIS_URL", redis.url()));
        proxy = Services.await(PathPrefixProxy.start(vertx, webui.port()));
        rng = Services.start("rng", Rng::deployment, Map.of());
        hasher = Services.start("hasher", Hasher::deployment, Map.of());
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        workers.forEach(RunningService::stopAndWait);
        for (RunningService service : new RunningService[] {hasher, rng}) {
            if (service != null) {
                service.stopAndWait();
            }
        }
        if (proxy != null) {
            Services.await(proxy.close());
        }
        if (webui != null) {
            webui.stopAndWait();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void dashboardThroughAPathPrefixShowsSpeedAndWorkers() throws Exception {
        scaleTo(1);
        String prefix = "http://localhost:" + proxy.port() + PathPrefixProxy.PREFIX + "/";
        browser.get(prefix);
        assertEquals(prefix + "index.html", browser.getCurrentUrl(), "the redirect stayed under the prefix");

        waitUntil(Duration.ofSeconds(20), "a speed above 0 and the worker in the list",
            () -> speed() > 0 && workerIds().equals(POD_NAMES.subList(0, 1)));
        assertEquals("live", text("state"));
        assertEquals("1", text("workers-active"));
        assertEquals("250", text("history-seconds"), "the chart's span, as the webui keeps it");

        Thread.sleep(SCALE_EVERY_SECONDS * 1000L);
        scaleTo(3);
        // Generous on a busy machine: how quickly a new worker shows is WebuiTest's to check.
        waitUntil(Duration.ofSeconds(15), "the workers scaled in", () -> workerIds().size() == 3);
        Thread.sleep(SCALE_EVERY_SECONDS * 1000L);
        scaleTo(6);
        waitUntil(Duration.ofSeconds(15), "six workers listed", () -> workerIds().size() == 6);
        // A worker does at most 3.3 hashes/s (three 0.1 s waits per loop): six, well over what three can do.
        waitUntil(Duration.ofSeconds(SCALE_EVERY_SECONDS + 10L), "the speed of six workers",
            () -> speed() > 12 && speed() < 21);
        waitUntil(Duration.ofSeconds(5), "each worker's own speed", () -> workerSpeeds().stream()
            .allMatch(speed -> speed > 1 && speed < 3.5));
        Thread.sleep(Math.max(0, SCALE_EVERY_SECONDS - 6) * 1000L);
        assertEquals("6", text("workers-active"));
        assertTrue(text("versions").matches(".+: 6 workers, \\d+\\.\\d hashes/s"),
            "the speed of the one version all six run: " + text("versions"));
        assertFalse(browser.findElement(By.id("other-workers")).isDisplayed(),
            "every hash is explained by a worker's own figure: no row for workers without one");
        assertTrue(Long.parseLong(text("hashes").replace(",", "")) > 0);
        assertFalse(text("coins").isEmpty());
        System.out.println("viewport " + browser.executeScript("return window.innerWidth + 'x' + window.innerHeight;"));
        screenshot("dashboard.png");

        assertEquals(List.of(), proxy.outsideThePrefix(), "every URL the page uses is relative");
        assertEquals(List.of(), browserProblems(), "the browser console shows no error (CSP included)");

        browser.manage().window().setSize(new Dimension(390, 844));
        Thread.sleep(1_500);
        Object overflow = browser.executeScript(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
        assertEquals(0L, overflow, "on a phone nothing sticks out sideways");
        screenshot("dashboard-phone.png");
    }

    @Test
    void redisStoppedPageShowsUnreachableThenRecovers() throws Exception {
        scaleTo(2);
        browser.get("http://localhost:" + proxy.port() + PathPrefixProxy.PREFIX + "/");
        waitUntil(Duration.ofSeconds(20), "the miner live", () -> speed() > 0 && "live".equals(text("state")));
        assertFalse(browser.findElement(By.id("alert")).isDisplayed());

        redis.stop();
        waitUntil(Duration.ofSeconds(10), "the page to say Redis is unreachable",
            () -> browser.findElement(By.id("alert")).isDisplayed());
        String alert = text("alert");
        assertTrue(alert.startsWith("Redis is unreachable since "), alert);
        assertFalse(alert.toLowerCase().matches(".*(refused|exception|timeout|127\\.0\\.0\\.1).*"), alert);
        assertEquals("Redis unreachable", text("state"));
        Thread.sleep(2_500);  // long enough for the figures to look stale and the time to count up
        screenshot("dashboard-redis-down.png");

        redis.start();
        waitUntil(Duration.ofSeconds(15), "the page live again with a speed",
            () -> !browser.findElement(By.id("alert")).isDisplayed() && "live".equals(text("state")) && speed() > 0);
    }

    /** Like {@code kubectl scale deploy/worker --replicas=count}: real workers, pod names for ids. */
    private void scaleTo(int count) {
        while (workers.size() < count) {
            workers.add(Services.start("worker", Worker::deployment, Map.of(
                "REDIS_URL", redis.url(),
                "RNG_URL", "http://localhost:" + rng.port(),
                "HASHER_URL", "http://localhost:" + hasher.port(),
                "WORKER_ID", POD_NAMES.get(workers.size()))));
        }
    }

    private String text(String id) {
        return browser.findElement(By.id(id)).getText();
    }

    private double speed() {
        Matcher shown = SPEED.matcher(speedText());
        return shown.matches() ? Double.parseDouble(shown.group(1)) : -1;
    }

    /** The text as a reader sees it, whichever way the line wraps. */
    private String speedText() {
        return String.valueOf(browser.executeScript("return document.getElementById('speed').textContent;"))
            .replaceAll("\\s+", " ").trim();
    }

    private List<String> workerIds() {
        List<String> ids = new ArrayList<>();
        for (WebElement row : browser.findElements(By.cssSelector("#workers .worker"))) {
            ids.add(row.getDomAttribute("data-id"));
        }
        return ids;
    }

    private List<Double> workerSpeeds() {
        List<Double> speeds = new ArrayList<>();
        for (WebElement speed : browser.findElements(By.cssSelector("#workers .worker-speed"))) {
            Matcher shown = Pattern.compile("(\\d+\\.\\d) hashes/s").matcher(speed.getText());
            speeds.add(shown.matches() ? Double.parseDouble(shown.group(1)) : -1);
        }
        return speeds;
    }

    private void waitUntil(Duration timeout, String what, java.util.function.BooleanSupplier condition) {
        new WebDriverWait(browser, timeout)
            .withMessage(() -> what + "; the page shows speed \"" + speedText() + "\", workers " + workerIds()
                + ", state \"" + text("state") + "\"")
            .until(page -> condition.getAsBoolean());
    }

    private List<String> browserProblems() {
        List<String> problems = new ArrayList<>();
        for (LogEntry entry : browser.manage().logs().get(LogType.BROWSER)) {
            if (entry.getLevel().intValue() >= Level.WARNING.intValue()) {
                problems.add(entry.getMessage());
            }
        }
        return problems;
    }

    private void screenshot(String name) throws Exception {
        Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
        Files.copy(shot, TARGET.resolve(name), StandardCopyOption.REPLACE_EXISTING);
    }
}

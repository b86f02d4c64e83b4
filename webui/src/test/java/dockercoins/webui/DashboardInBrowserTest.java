package dockercoins.webui;

import dockercoins.localredis.LocalRedis;
import dockercoins.shared.Service.RunningService;
import dockercoins.shared.testing.Services;
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
 * {@code kubectl proxy}: under a path prefix, with workers mining. Screenshots go to target/.
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
    private final List<FakeWorker> workers = new ArrayList<>();

    @BeforeEach
    void start(Vertx vertx, @TempDir Path profile) throws Exception {
        browser = Browser.open(profile);  // first: without a browser the test stops here, loudly
        redis = LocalRedis.start(0);
        webui = Services.start("webui", Webui::deployment, Map.of("REDIS_URL", redis.url()));
        proxy = Services.await(PathPrefixProxy.start(vertx, webui.port()));
    }

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        workers.forEach(FakeWorker::close);
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
    void dashboardThroughAPathPrefixShowsSpeedAndWorkers(Vertx vertx) throws Exception {
        scaleTo(vertx, 1);
        String prefix = "http://localhost:" + proxy.port() + PathPrefixProxy.PREFIX + "/";
        browser.get(prefix);
        assertEquals(prefix + "index.html", browser.getCurrentUrl(), "the redirect stayed under the prefix");

        waitUntil(Duration.ofSeconds(20), "a speed above 0 and the worker in the list",
            () -> speed() > 0 && workerIds().contains(workers.get(0).id()));
        assertEquals("live", text("state"));
        assertEquals("1", text("workers-active"));

        Thread.sleep(SCALE_EVERY_SECONDS * 1000L);
        scaleTo(vertx, 3);
        waitUntil(Duration.ofSeconds(5), "the workers scaled in, within a few seconds", () -> workerIds().size() == 3);
        Thread.sleep(SCALE_EVERY_SECONDS * 1000L);
        scaleTo(vertx, 6);
        waitUntil(Duration.ofSeconds(5), "six workers listed", () -> workerIds().size() == 6);
        // Each at about 3.3 hashes/s, measured between its own reports: six make about 20.
        waitUntil(Duration.ofSeconds(SCALE_EVERY_SECONDS + 10L), "the speed of six workers",
            () -> speed() > 17 && speed() < 23);
        Thread.sleep(Math.max(0, SCALE_EVERY_SECONDS - 6) * 1000L);
        assertEquals("6", text("workers-active"));
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
    void redisStoppedPageShowsUnreachableThenRecovers(Vertx vertx) throws Exception {
        scaleTo(vertx, 2);
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

    /** Like {@code kubectl scale deploy/worker --replicas=count}, with pod names for worker ids. */
    private void scaleTo(Vertx vertx, int count) {
        while (workers.size() < count) {
            workers.add(FakeWorker.start(vertx, redis.url(), POD_NAMES.get(workers.size())));
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

package io.quiclb.appliance.forward;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Collects what Netty's leak detector reports (surefire runs tests with io.netty.leakDetection.level=paranoid).
 * Netty reports a leak when a leaked buffer has been collected and another buffer is allocated, so
 * {@link #leaks()} collects garbage and allocates before it looks.
 */
final class LeakCapture implements AutoCloseable {
    private final Logger logger = (Logger) LoggerFactory.getLogger("io.netty.util.ResourceLeakDetector");
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    LeakCapture() {
        appender.start();
        logger.addAppender(appender);
        logger.setLevel(Level.ERROR);
    }

    /** @return every leak report so far */
    List<String> leaks() throws InterruptedException {
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(50);
            for (int j = 0; j < 100; j++) {
                ByteBuf probe = PooledByteBufAllocator.DEFAULT.directBuffer(64);
                probe.release();
            }
        }
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
    }
}

package io.quiclb.appliance.takeover;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SIGHUP, the signal {@code systemctl reload} sends ({@code ExecReload=/bin/kill -HUP $MAINPID}), through the JDK's
 * {@code sun.misc.Signal} (module jdk.unsupported), reached by reflection so the build does not warn about it.
 *
 * <p><b>Thread safety:</b> the action runs on the JVM's signal dispatch thread.
 */
final class Hangup {
    private static final Logger LOG = LoggerFactory.getLogger(Hangup.class);

    private Hangup() {
    }

    /**
     * @param action what SIGHUP does from now on
     * @return whether the handler was installed
     */
    static boolean handle(Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            InvocationHandler call = (proxy, method, args) -> {
                if (method.getName().equals("handle")) {
                    action.run();
                    return null;
                }
                return method.getName().equals("toString") ? "quiclb SIGHUP handler" : method.invoke(action, args);
            };
            Object proxy = Proxy.newProxyInstance(Hangup.class.getClassLoader(), new Class<?>[] {handler}, call);
            signal.getMethod("handle", signal, handler).invoke(null,
                    signal.getConstructor(String.class).newInstance("HUP"), proxy);
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            LOG.warn("takeover: SIGHUP cannot be handled on this JVM ({}); run `takeover` instead", String.valueOf(e));
            return false;
        }
    }
}

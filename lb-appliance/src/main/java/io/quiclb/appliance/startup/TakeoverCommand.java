package io.quiclb.appliance.startup;

import io.dropwizard.core.Application;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import io.dropwizard.core.setup.Bootstrap;
import net.sourceforge.argparse4j.inf.Argument;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code takeover config.yml}: starts an appliance that takes over from the one running on the same configuration
 * (its {@code forwarder.handoverSocket}): it receives the running one's listener sockets instead of binding new ones,
 * and the old one drains and exits 0. With no appliance running it starts as {@code server} would. A configuration
 * that fails validation exits 1 before anything is asked of the running appliance.
 *
 * <p><b>Thread safety:</b> run once by the CLI.
 *
 * @param <T> the configuration class
 */
public final class TakeoverCommand<T extends Configuration> extends ServerCommand<T> {
    private final Runnable takeoverMode;

    /**
     * @param application  the application
     * @param takeoverMode tells the application, before it runs, to take over rather than bind
     */
    public TakeoverCommand(Application<T> application, Runnable takeoverMode) {
        super(application, "takeover", "Takes over from the appliance running on this configuration, without"
                + " closing a listener socket");
        this.takeoverMode = takeoverMode;
    }

    @Override
    protected Argument addFileArgument(Subparser subparser) {
        return ServeCommand.requiredFile(subparser);
    }

    @Override
    protected void run(Bootstrap<T> bootstrap, Namespace namespace, T configuration) throws Exception {
        takeoverMode.run();
        super.run(bootstrap, namespace, configuration);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (!ServeCommand.printOneLine(cli, e, "cannot take over")) {
            super.onError(cli, namespace, e);
        }
    }
}

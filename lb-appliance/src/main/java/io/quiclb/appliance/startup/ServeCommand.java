package io.quiclb.appliance.startup;

import io.dropwizard.core.Application;
import io.dropwizard.core.Configuration;
import io.dropwizard.core.cli.Cli;
import io.dropwizard.core.cli.ServerCommand;
import net.sourceforge.argparse4j.inf.Argument;
import net.sourceforge.argparse4j.inf.Namespace;
import net.sourceforge.argparse4j.inf.Subparser;

/**
 * {@code server config.yml}: Dropwizard's server command with the file argument required (without one, Dropwizard
 * would start on built-in defaults), and a {@link StartupFailure} printed as one line instead of a stack trace.
 *
 * <p><b>Thread safety:</b> run once by the CLI.
 *
 * @param <T> the configuration class
 */
public final class ServeCommand<T extends Configuration> extends ServerCommand<T> {
    /**
     * @param application the application
     */
    public ServeCommand(Application<T> application) {
        super(application);
    }

    @Override
    protected Argument addFileArgument(Subparser subparser) {
        return requiredFile(subparser);
    }

    @Override
    public void onError(Cli cli, Namespace namespace, Throwable e) {
        if (!printOneLine(cli, e, "cannot start")) {
            super.onError(cli, namespace, e);
        }
    }

    /**
     * @param subparser a command's arguments
     * @return the required configuration file argument
     */
    public static Argument requiredFile(Subparser subparser) {
        return subparser.addArgument("file").help("application configuration file (config.yml)");
    }

    /**
     * @param cli  the CLI
     * @param e    why a command failed
     * @param what what failed, e.g. "cannot start" or "check failed"
     * @return whether it was a {@link StartupFailure}, now printed as one line on standard error
     */
    public static boolean printOneLine(Cli cli, Throwable e, String what) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof StartupFailure failure) {
                cli.getStdErr().println("quiclb: " + what + ": " + failure.getMessage());
                return true;
            }
        }
        return false;
    }
}

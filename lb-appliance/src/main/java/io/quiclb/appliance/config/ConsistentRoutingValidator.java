package io.quiclb.appliance.config;

import io.quiclb.appliance.QuicLbConfiguration;
import jakarta.validation.ConstraintValidator;
import jakarta.validation.ConstraintValidatorContext;
import java.util.List;

/**
 * Reports each {@link RoutingConfigCheck} problem as its own violation, so startup lists them all.
 *
 * <p><b>Thread safety:</b> stateless.
 */
public final class ConsistentRoutingValidator implements ConstraintValidator<ConsistentRouting, QuicLbConfiguration> {

    @Override
    public boolean isValid(QuicLbConfiguration configuration, ConstraintValidatorContext context) {
        if (configuration == null || configuration.getQuicLb() == null || configuration.getServers() == null) {
            return true; // @NotNull on the sections reports these
        }
        boolean listeners = configuration.getForwarder() != null && configuration.getForwarder().listeners() != null;
        OwnAddresses own = listeners ? OwnAddresses.of(configuration.getForwarder().listeners()) : OwnAddresses.NONE;
        List<String> problems = new java.util.ArrayList<>(RoutingConfigCheck.check(configuration.getQuicLb(),
                configuration.getServers(), own).stream().map(Problem::inConfigYml).toList());
        if (listeners) {
            problems.addAll(RoutingConfigCheck.listenerProblems(configuration.getForwarder().listeners()));
            problems.addAll(configuration.getForwarder().problems());
        }
        if (problems.isEmpty()) {
            return true;
        }
        context.disableDefaultConstraintViolation();
        for (String problem : problems) {
            context.buildConstraintViolationWithTemplate(escape(problem)).addConstraintViolation();
        }
        return false;
    }

    /** Messages are templates: braces, dollars and backslashes from configuration values must stay literal. */
    private static String escape(String message) {
        return message.replace("\\", "\\\\").replace("{", "\\{").replace("}", "\\}").replace("$", "\\$");
    }
}

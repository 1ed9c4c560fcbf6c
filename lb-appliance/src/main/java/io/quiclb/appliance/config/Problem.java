package io.quiclb.appliance.config;

/**
 * One rule a configuration or server breaks, located so that config.yml and the REST API can each name it in their
 * own terms: {@code servers[2].threadSockets[1]: rule} in config.yml, {@code threadSockets[1]: rule} for the server
 * a request changes, {@code servers/s1.threadSockets[1]: rule} for another one.
 *
 * <p><b>Thread safety:</b> immutable.
 *
 * @param server whether it is about a server (else a QUIC-LB configuration)
 * @param index  the entry's index in its config.yml list
 * @param name   the server's name, or the config ID as text
 * @param field  the field within the entry, starting with '.' (e.g. {@code .serverIds[0]}), or "" for the entry
 * @param rule   the rule and the offending value
 */
public record Problem(boolean server, int index, String name, String field, String rule) {

    /** @return the problem with config.yml's path */
    public String inConfigYml() {
        return (server ? "servers[" + index + "]" : "quicLb.configs[" + index + "]") + field + ": " + rule;
    }

    /** @return the problem with the API's absolute path, {@code servers/{name}.field} or {@code configs/{id}.field} */
    public String inApi() {
        return (server ? "servers/" : "configs/") + name + field + ": " + rule;
    }

    /**
     * @param changedServer whether the request changes a server (else a configuration)
     * @param changedName   the name or config ID the request changes
     * @return the problem with the API's path: relative to the changed entity, else {@code servers/{name}} or
     *         {@code configs/{id}}
     */
    public String inApi(boolean changedServer, String changedName) {
        if (server == changedServer && name.equals(changedName)) {
            return (field.isEmpty() ? "body" : field.substring(1)) + ": " + rule;
        }
        return inApi();
    }
}

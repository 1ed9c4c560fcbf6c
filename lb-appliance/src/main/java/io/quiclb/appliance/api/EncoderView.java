package io.quiclb.appliance.api;

/**
 * What a server must configure to issue CIDs under one configuration (the configuration agent's role, draft-21
 * §5.3).
 *
 * @param configId          config rotation codepoint
 * @param serverIdLength    octets of server ID
 * @param nonceLength       octets of nonce
 * @param threadIdLength    octets of thread ID
 * @param lengthSelfEncoded whether to encode the CID length
 * @param serverId          this server's ID in hex
 * @param keyFingerprint    a one-way identifier of the key, or "none"
 * @param key               the key in hex: present only for the admin token and only when the config has one
 */
public record EncoderView(int configId, int serverIdLength, int nonceLength, int threadIdLength,
                          boolean lengthSelfEncoded, String serverId, String keyFingerprint, String key) {
    @Override
    public String toString() {
        return "EncoderView{configId=" + configId + ", serverId=" + serverId + ", key="
                + (key == null ? "absent" : "[REDACTED]") + '}';
    }
}

package io.quiclb.appliance.control;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quiclb.appliance.config.AesKeyHex;
import io.quiclb.appliance.config.HostPort;
import io.quiclb.appliance.config.ProbeKind;
import io.quiclb.appliance.config.LbConfigEntry;
import io.quiclb.appliance.config.ServerEntry;
import io.quiclb.codec.Hex;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * The state file ({@code api.stateFile}): every accepted change, written durably so it survives a restart.
 *
 * <p>A write goes to a temporary file in the same directory, is forced to disk, renamed over the state file in
 * one atomic step, and the directory is forced too: a crash leaves either the old state or the new one, never a
 * torn file. The file holds keys, so it is created readable by its owner only.
 *
 * <p>Reading is strict: unknown fields, a malformed value or an inconsistent state stop startup with a message
 * naming the file and the problem. A corrupt state file is never ignored or replaced.
 *
 * <p>While an appliance runs it holds {@code <stateFile>.lock} ({@link #lock}), so a second appliance pointed at the
 * same state file refuses to start instead of overwriting the first one's changes.
 *
 * <p><b>Thread safety:</b> not thread-safe; the {@link ControlPlane} serializes every use ({@link #lock} and
 * {@link #unlock} synchronize on this object).
 */
public final class StateStore implements StateBackend {
    private static final int FORMAT = 1;

    private final Path file;
    private FileChannel lock;
    private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);

    /**
     * @param file the state file
     */
    public StateStore(Path file) {
        this.file = file.toAbsolutePath();
    }

    /**
     * Takes the state file's lock ({@code <stateFile>.lock}, holding this process's ID) for as long as this process
     * runs, so two appliances never write one state file. Released by {@link #unlock}.
     *
     * @throws IllegalStateException naming the lock file and the process that holds it, when another one does
     * @throws IOException when the lock file cannot be created
     */
    public synchronized void lock() throws IOException {
        Path lockFile = file.resolveSibling(file.getFileName() + ".lock");
        Files.createDirectories(file.getParent());
        FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        java.nio.channels.FileLock taken;
        try {
            taken = channel.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            taken = null;
        }
        if (taken == null) {
            String holder = new String(Files.readAllBytes(lockFile), java.nio.charset.StandardCharsets.US_ASCII).trim();
            channel.close();
            throw new IllegalStateException("api.stateFile " + file + " is in use by another appliance"
                    + (holder.isEmpty() ? "" : " (pid " + holder + ")") + ": two appliances must not share a state"
                    + " file; stop that one first, or give this one a state file of its own");
        }
        channel.truncate(0);
        channel.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(
                java.nio.charset.StandardCharsets.US_ASCII)));
        channel.force(true);
        lock = channel;
    }

    /** Releases the lock taken by {@link #lock}, if any. */
    public synchronized void unlock() {
        if (lock != null) {
            try {
                lock.close();
            } catch (IOException e) {
                // closing releases the lock whatever the error; nothing else to do
            }
            lock = null;
        }
    }

    /** @return the state file's path */
    public Path file() {
        return file;
    }

    /**
     * @return the persisted state, or empty when the file does not exist
     * @throws IllegalStateException when the file exists but cannot be read or is not a valid state
     */
    public Optional<RoutingState> load() {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        StoredState stored;
        try {
            stored = json.readValue(Files.readAllBytes(file), StoredState.class);
        } catch (IOException e) {
            throw new IllegalStateException("state file " + file + " cannot be read: " + e.getMessage()
                    + " (fix or move it away; it is never replaced automatically)", e);
        }
        try {
            return Optional.of(stored.toState());
        } catch (IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException("state file " + file + " is not a valid state: " + e.getMessage()
                    + " (fix or move it away; it is never replaced automatically)", e);
        }
    }

    /**
     * Writes the state durably; this appliance is its only writer, so the revision only counts writes.
     *
     * @return {@code expected + 1}
     */
    @Override
    public long write(long expected, RoutingState next) throws IOException {
        try {
            save(next);
        } catch (IOException e) {
            throw new IOException("state file " + file + " could not be written; nothing changed: " + e.getMessage(),
                    e);
        }
        return expected + 1;
    }

    @Override
    public String describe() {
        return "state file " + file;
    }

    /**
     * @param state a state
     * @return its JSON form, as the state file holds it (keys in hex: a secret)
     */
    public static byte[] toJson(RoutingState state) {
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(StoredState.of(state));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("state cannot be serialized", e);
        }
    }

    /**
     * @param json   a state's JSON form ({@link #toJson})
     * @param source where it came from, for the message
     * @return the state
     * @throws IllegalStateException naming the source and the problem when it is not a valid state
     */
    public static RoutingState fromJson(byte[] json, String source) {
        try {
            return new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                    .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES).readValue(json, StoredState.class)
                    .toState();
        } catch (IOException | IllegalArgumentException | NullPointerException e) {
            throw new IllegalStateException(source + " is not a valid state: " + e.getMessage(), e);
        }
    }

    /**
     * Writes the state durably.
     *
     * @param state the state
     * @throws IOException when it could not be written; the previous state file is then unchanged
     */
    public void save(RoutingState state) throws IOException {
        byte[] bytes;
        try {
            bytes = json.writerWithDefaultPrettyPrinter().writeValueAsBytes(StoredState.of(state));
        } catch (JsonProcessingException e) {
            throw new IOException("state cannot be serialized", e);
        }
        Path directory = file.getParent();
        Files.createDirectories(directory);
        Path temporary = Files.createTempFile(directory, file.getFileName().toString(), ".tmp",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            try (FileChannel channel = FileChannel.open(temporary, StandardOpenOption.WRITE)) {
                ByteBuffer buffer = ByteBuffer.wrap(bytes);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(true);
            }
            try {
                Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("the file system of " + directory + " cannot rename atomically", e);
            }
            try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
                dir.force(true);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    /** The file's JSON form: keys as hex, which the API never shows. */
    record StoredState(int format, List<StoredConfig> configs, List<StoredServer> servers, List<String> draining,
                       @com.fasterxml.jackson.annotation.JsonInclude(
                               com.fasterxml.jackson.annotation.JsonInclude.Include.NON_EMPTY)
                       Map<Integer, Long> retired) {
        static StoredState of(RoutingState state) {
            List<StoredConfig> configs = new ArrayList<>();
            for (LbConfigEntry c : state.configs()) {
                configs.add(new StoredConfig(c.configId(), c.serverIdLength(), c.nonceLength(), c.threadIdLength(),
                        c.key() == null ? null : Hex.encode(c.key().toBytes()), c.lengthSelfEncoded()));
            }
            List<StoredServer> servers = new ArrayList<>();
            for (ServerEntry s : state.servers()) {
                servers.add(new StoredServer(s.name(), s.address().toString(), new java.util.TreeMap<>(s.serverIds()),
                        s.threadSockets().stream().map(HostPort::toString).toList(), s.probe().configName()));
            }
            return new StoredState(FORMAT, configs, servers, List.copyOf(new TreeSet<>(state.draining())),
                    new java.util.TreeMap<>(state.retired()));
        }

        RoutingState toState() {
            if (format != FORMAT) {
                throw new IllegalArgumentException("must be " + FORMAT + ": format=" + format);
            }
            List<LbConfigEntry> entries = new ArrayList<>();
            for (StoredConfig c : configs) {
                entries.add(new LbConfigEntry(c.configId(), c.serverIdLength(), c.nonceLength(), c.threadIdLength(),
                        c.key() == null ? null : AesKeyHex.parse(c.key()), c.lengthSelfEncoded()));
            }
            List<ServerEntry> list = new ArrayList<>();
            for (StoredServer s : servers) {
                list.add(new ServerEntry(s.name(), HostPort.parse(s.address()), s.serverIds(),
                        s.threadSockets().stream().map(HostPort::parse).toList(),
                        s.probe() == null ? null : ProbeKind.parse(s.probe())));
            }
            // retired is absent from files written before config IDs were held back.
            return new RoutingState(entries, list, Set.copyOf(draining), retired == null ? Map.of() : retired);
        }
    }

    record StoredConfig(int configId, int serverIdLength, int nonceLength, int threadIdLength, String key,
                        boolean lengthSelfEncoded) {
    }

    /** A server; {@code probe} is absent from files written before it existed (then Version Negotiation). */
    record StoredServer(String name, String address, Map<Integer, String> serverIds, List<String> threadSockets,
                        String probe) {
    }
}

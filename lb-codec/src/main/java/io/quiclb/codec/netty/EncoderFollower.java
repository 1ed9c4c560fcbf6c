package io.quiclb.codec.netty;

import io.quiclb.codec.QuicLbConfig;
import io.quiclb.codec.ServerId;
import io.quiclb.codec.agent.EncoderClient;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Moves a {@link QuicLbConnectionIdGenerator} to each config the load balancers newly offer: give it to
 * {@link EncoderClient#follow}. When a config ID appears that the previous offer did not have (a rotation's new
 * config, offered once every load balancer has it, draft-21 §3.1), the generator issues CIDs of it from then on; when
 * the config in use disappears from the offer, it moves to the highest config ID still offered; when the config in use
 * is offered with another key or server ID, it moves to that. A new config must
 * give CIDs of the generator's length ({@link QuicLbConnectionIdGenerator#update}); one that does not is refused
 * and the generator goes on as before. Built on a {@link RotationDrain}, it rotates through it, so the server's live
 * connections left on the old config are drained over the drain's pace too.
 *
 * <p><b>Thread safety:</b> called by the client's one thread; the generator is thread-safe.
 */
public final class EncoderFollower implements Consumer<List<EncoderClient.Encoding>> {
    private static final System.Logger LOG = System.getLogger(EncoderFollower.class.getName());

    private final BiConsumer<QuicLbConfig, ServerId> switchTo;
    private int current;
    private Set<Integer> offeredBefore;
    /** What the generator issues now, as {@link EncoderClient.Encoding#toString}; null before the first offer. */
    private String using;

    /**
     * @param generator       the generator the server issues CIDs with
     * @param currentConfigId the config ID it was built with
     */
    public EncoderFollower(QuicLbConnectionIdGenerator generator, int currentConfigId) {
        this(generator::update, currentConfigId);
    }

    /**
     * @param rotation        the rotation drain of the server's generators
     * @param currentConfigId the config ID they were built with
     */
    public EncoderFollower(RotationDrain rotation, int currentConfigId) {
        this(rotation::rotate, currentConfigId);
    }

    private EncoderFollower(BiConsumer<QuicLbConfig, ServerId> switchTo, int currentConfigId) {
        this.switchTo = switchTo;
        this.current = currentConfigId;
    }

    @Override
    public void accept(List<EncoderClient.Encoding> offered) {
        Set<Integer> ids = new HashSet<>();
        EncoderClient.Encoding next = null;
        for (EncoderClient.Encoding encoding : offered) {
            int id = encoding.config().configId();
            ids.add(id);
            if (offeredBefore != null && !offeredBefore.contains(id) && id != current) {
                next = encoding; // offered in config ID order: the highest new one
            }
        }
        if (next == null && !ids.contains(current) && !offered.isEmpty()) {
            next = offered.get(offered.size() - 1);
        }
        if (next == null && using != null) {
            for (EncoderClient.Encoding encoding : offered) {
                if (encoding.config().configId() == current && !encoding.toString().equals(using)) {
                    next = encoding; // the config in use was re-keyed, or this server's ID in it changed
                }
            }
        }
        offeredBefore = ids;
        for (EncoderClient.Encoding encoding : offered) {
            if (next == null && encoding.config().configId() == current) {
                using = encoding.toString();
            }
        }
        if (next != null) {
            using = next.toString();
            switchTo.accept(next.config(), next.serverId());
            LOG.log(System.Logger.Level.INFO, "issuing CIDs of " + next + " from now on (was config " + current + ")");
            current = next.config().configId();
        }
    }

    /** @return the config ID the generator issues CIDs of now */
    public int currentConfigId() {
        return current;
    }
}

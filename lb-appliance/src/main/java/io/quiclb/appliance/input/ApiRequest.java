package io.quiclb.appliance.input;

/**
 * A REST API request body that {@link StrictJsonReader} reads: a record whose components are the body's only
 * fields, or a {@link MergePatch}.
 *
 * <p><b>Thread safety:</b> implementations are immutable.
 */
public interface ApiRequest {
}

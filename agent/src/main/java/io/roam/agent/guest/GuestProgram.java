package io.roam.agent.guest;

import io.roam.agent.memory.GuestMemory;

/**
 * The code a VM runs. Roam calls it from one runtime thread only.
 *
 * <p>Contract: all state that must survive a move lives in guest memory. {@link #boot} runs on
 * first start with fresh, zeroed memory; {@link #resume} runs when the memory came from elsewhere
 * (another host) and must rebuild sockets and caches from memory alone. {@link #step} does a short
 * piece of work, well under 10 ms: between two steps the VM is at a safe point where it can be
 * paused, throttled or stopped, and what a step did is complete.
 *
 * <p>A user's program is a public class with a public no-argument constructor, in a jar given at
 * VM creation ({@code roamctl vm create --program com.acme.MyProgram --jar /path/app.jar}).
 */
public interface GuestProgram {
  void boot(GuestMemory memory, GuestArgs args) throws Exception;

  void resume(GuestMemory memory, GuestArgs args) throws Exception;

  /**
   * Called on the destination of a migration before its memory is complete, while the source still
   * runs: do here what does not depend on guest memory (open sockets, load classes), so that it is
   * not part of the pause. {@link #resume} follows. The default does nothing.
   */
  default void prepare(GuestArgs args) throws Exception {}

  void step(GuestMemory memory) throws Exception;

  /** The service address clients should use (host:port), or null when the program serves none. */
  default String endpoint() {
    return null;
  }

  /** Called once when the VM stops gracefully; release sockets and threads here. */
  default void close() throws Exception {}
}

package io.roam.agent.guest;

import io.roam.agent.memory.GuestMemoryHeader;

/**
 * FT's output commit, as the VM sees it (DESIGN.md "Fault tolerance"): while the VM is protected,
 * what it sends to the outside is tagged with the checkpoint that will hold the state that made it,
 * and leaves the VM only once the secondary has acknowledged that checkpoint. A client therefore
 * never sees a reply that a failover to the secondary could take back.
 *
 * <p>The agent writes the words this reads (checkpoints taken, acknowledged, holding) in the
 * memory's header; "taken" changes only while the VM is paused at a safe point, so within one step
 * every output gets the same tag. Tag 0 means "not held".
 *
 * <p>Thread-safety: reads shared memory with acquire semantics; any thread.
 */
public final class OutputCommit {
  private final GuestMemoryHeader header;

  public OutputCommit(GuestMemoryHeader header) {
    this.header = header;
  }

  /** The checkpoint whose acknowledgement releases output made now; 0 when output is not held. */
  public long tagForNewOutput() {
    return header.ftHolding() ? header.ftTaken() + 1 : 0;
  }

  /** Whether output tagged {@code tag} may leave the VM now. */
  public boolean released(long tag) {
    return tag == 0 || !header.ftHolding() || header.ftAcked() >= tag;
  }
}

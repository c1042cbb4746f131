package io.roam.master.hosts;

import io.roam.common.model.HostRecord;
import io.roam.master.inventory.HostControl;

/**
 * One host as the leader sees it in one pass.
 *
 * @param live whether the agent holds a ZooKeeper session
 * @param downSinceMs when the leader first saw the session gone, or -1 while live
 * @param note why it is in this state
 */
public record HostStatus(HostRecord record, HostControl control, HostState state, boolean live, long downSinceMs,
    String note) {
  public String name() {
    return record.name();
  }
}

package io.roam.master.api;

import io.roam.master.hosts.HostStatus;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.scheduler.ResourceScheduler;
import java.util.Optional;

/** What the current leadership term offers the API (empty on a standby master). */
public interface LeaderState {
  Optional<ResourceScheduler> scheduler();

  Optional<HostStatus> host(String name);

  /** The store bound to the current term: the writes the API makes as the leader go through it. */
  Optional<ClusterStore> store();
}

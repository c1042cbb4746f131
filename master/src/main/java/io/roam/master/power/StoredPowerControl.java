package io.roam.master.power;

import io.roam.common.model.HostRecord;
import io.roam.master.api.AgentClients;
import io.roam.master.inventory.ClusterStore;
import io.roam.master.inventory.PowerSpec;
import io.roam.proto.ShutdownHostRequest;
import java.util.Optional;

/**
 * Power drivers built from the specs stored with each host. The wol driver's power off asks the
 * host's agent to shut its machine down (with this leader's epoch); "up" means the agent holds a
 * ZooKeeper session.
 */
public final class StoredPowerControl implements PowerControl {
  private final ClusterStore store;
  private final AgentClients agents;
  private final String ipmitool;
  private final long epoch;

  public StoredPowerControl(ClusterStore store, AgentClients agents, String ipmitool, long epoch) {
    this.store = store;
    this.agents = agents;
    this.ipmitool = ipmitool;
    this.epoch = epoch;
  }

  @Override
  public Optional<PowerDriver> driver(String host) throws Exception {
    Optional<PowerSpec> spec = store.powerSpec(host);
    if (spec.isEmpty()) {
      return Optional.empty();
    }
    return Optional.of(PowerDrivers.create(spec.get(), ipmitool, new PowerDrivers.AgentAccess() {
      @Override
      public void shutdown() throws Exception {
        HostRecord h = store.hosts().stream().filter(r -> r.name().equals(host)).findFirst()
            .orElseThrow(() -> new PowerException("host " + host + " is unknown"));
        agents.stub(h, 10_000).shutdownHost(ShutdownHostRequest.newBuilder().setMasterEpoch(epoch).build());
      }

      @Override
      public boolean isUp() throws Exception {
        return store.isLive(host);
      }
    }));
  }
}

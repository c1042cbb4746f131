package io.roam.master.power;

import io.roam.common.model.HostRecord;
import io.roam.master.api.AgentClients;
import io.roam.master.inventory.ClusterStore;
import io.roam.proto.ShutdownHostRequest;
import java.util.Optional;

/**
 * Power drivers of hosts: ZooKeeper names each host's driver, the masters' configuration ({@link
 * PowerDriverCatalog}) defines it. The wol driver's power off asks the
 * host's agent to shut its machine down (with this leader's epoch); "up" means the agent holds a
 * ZooKeeper session.
 */
public final class StoredPowerControl implements PowerControl {
  private final ClusterStore store;
  private final AgentClients agents;
  private final PowerDriverCatalog catalog;
  private final String ipmitool;
  private final long epoch;

  public StoredPowerControl(ClusterStore store, AgentClients agents, PowerDriverCatalog catalog, String ipmitool,
      long epoch) {
    this.store = store;
    this.catalog = catalog;
    this.agents = agents;
    this.ipmitool = ipmitool;
    this.epoch = epoch;
  }

  @Override
  public Optional<PowerDriver> driver(String host) throws Exception {
    Optional<String> name = store.powerDriver(host);
    if (name.isEmpty()) {
      return Optional.empty();
    }
    // A name this master's configuration does not define powers nothing: fencing and DPM then say so.
    PowerSpec spec = (PowerDriverCatalog.isValidName(name.get()) ? catalog.find(name.get()) : Optional.<PowerSpec>empty())
        .orElseThrow(() -> new PowerException("host " + host + "'s power driver '" + name.get()
            + "' is not defined in this master's power.drivers"));
    return Optional.of(PowerDrivers.create(spec, ipmitool, new PowerDrivers.AgentAccess() {
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

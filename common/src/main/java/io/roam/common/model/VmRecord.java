package io.roam.common.model;

/**
 * A VM's spec, desired state and policy, as kept by the master in ZooKeeper
 * (/roam/vms/&lt;name&gt;). Records written before policies existed read with the default policy.
 */
public record VmRecord(VmSpec spec, DesiredState desiredState, VmPolicy policy) {

  public enum DesiredState { RUNNING, STOPPED }

  public VmRecord {
    policy = policy == null ? VmPolicy.DEFAULT : policy;
  }

  public VmRecord(VmSpec spec, DesiredState desiredState) {
    this(spec, desiredState, VmPolicy.DEFAULT);
  }

  public VmRecord withDesiredState(DesiredState state) {
    return new VmRecord(spec, state, policy);
  }

  public VmRecord withPolicy(VmPolicy p) {
    return new VmRecord(spec, desiredState, p);
  }
}

package io.roam.common.model;

/** A VM's spec and desired state, as kept by the master in ZooKeeper (/roam/vms/&lt;name&gt;). */
public record VmRecord(VmSpec spec, DesiredState desiredState) {

  public enum DesiredState { RUNNING, STOPPED }

  public VmRecord withDesiredState(DesiredState state) {
    return new VmRecord(spec, state);
  }
}

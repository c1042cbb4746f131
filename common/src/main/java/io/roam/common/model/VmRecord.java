package io.roam.common.model;

import java.util.Map;

/** A VM's spec and desired state, as kept by the master in ZooKeeper (/roam/vms/&lt;name&gt;). */
public record VmRecord(String name, String program, long memoryBytes, Map<String, String> args, String programJar,
    DesiredState desiredState) {

  public enum DesiredState { RUNNING, STOPPED }

  public VmRecord withDesiredState(DesiredState state) {
    return new VmRecord(name, program, memoryBytes, args, programJar, state);
  }
}

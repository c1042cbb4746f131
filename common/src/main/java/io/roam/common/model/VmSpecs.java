package io.roam.common.model;

/** Converts {@link VmSpec} to and from its protocol message: one place for the master and the agent. */
public final class VmSpecs {
  private VmSpecs() {}

  public static VmSpec fromProto(io.roam.proto.VmSpec p) {
    return new VmSpec(p.getName(), p.getProgram(), p.getMemoryBytes(), p.getArgsMap(), p.getProgramJar(),
        p.getAddress());
  }

  public static io.roam.proto.VmSpec toProto(VmSpec s) {
    return io.roam.proto.VmSpec.newBuilder().setName(s.name()).setProgram(s.program()).setMemoryBytes(s.memoryBytes())
        .putAllArgs(s.args()).setProgramJar(s.programJar()).setAddress(s.address()).build();
  }
}

package io.roam.common.model;

import java.util.Map;
import java.util.regex.Pattern;

/** What a VM is: the part of it that survives restarts and moves. */
public record VmSpec(String name, String program, long memoryBytes, Map<String, String> args, String programJar) {
  private static final Pattern NAME = Pattern.compile("[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}");

  public VmSpec {
    args = args == null ? Map.of() : Map.copyOf(args);
    programJar = programJar == null ? "" : programJar;
  }

  /** Returns null when the name is usable, else why not. */
  public static String checkName(String name) {
    if (name == null || !NAME.matcher(name).matches()) {
      return "invalid VM name '" + name + "': use 1 to 63 letters, digits, '.', '_' or '-', starting with a letter or digit";
    }
    return null;
  }
}

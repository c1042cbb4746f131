package io.roam.agent.guest;

import io.roam.agent.guest.programs.CpuProgram;
import io.roam.agent.guest.programs.IdleProgram;
import io.roam.agent.guest.programs.KvProgram;
import io.roam.agent.guest.programs.MemStressProgram;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/**
 * Finds a guest program by name: a built-in one, or a user's class from a jar. A switch, not a map
 * of constructor references: this runs in every VM's start-up, where the first lambda costs tens of
 * milliseconds of CPU (see GuestMain).
 */
public final class Programs {
  private static final Set<String> BUILT_IN = Set.of("kv", "memstress", "cpu", "idle");

  private Programs() {}

  public static Set<String> builtInNames() {
    return new TreeSet<>(BUILT_IN);
  }

  public static boolean isBuiltIn(String name) {
    return BUILT_IN.contains(name);
  }

  /**
   * Instantiates a program.
   *
   * @param jar a jar holding {@code name} as a class, or null for a built-in program
   * @throws IllegalArgumentException naming what is wrong (unknown program, missing jar or class)
   */
  public static GuestProgram instantiate(String name, Path jar) {
    if (jar == null) {
      switch (name) {
        case "kv":
          return new KvProgram();
        case "memstress":
          return new MemStressProgram();
        case "cpu":
          return new CpuProgram();
        case "idle":
          return new IdleProgram();
        default:
          throw new IllegalArgumentException("unknown program '" + name + "'; built-in programs are " + builtInNames()
              + ", or give a class name with a jar");
      }
    }
    if (!Files.isReadable(jar)) {
      throw new IllegalArgumentException("program jar " + jar + " does not exist or is not readable");
    }
    try {
      URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, Programs.class.getClassLoader());
      Class<?> c = Class.forName(name, true, loader);
      if (!GuestProgram.class.isAssignableFrom(c)) {
        throw new IllegalArgumentException("class " + name + " in " + jar + " does not implement " + GuestProgram.class.getName());
      }
      return (GuestProgram) c.getDeclaredConstructor().newInstance();
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("class " + name + " not found in " + jar);
    } catch (ReflectiveOperationException | java.net.MalformedURLException e) {
      throw new IllegalArgumentException("cannot instantiate " + name + " from " + jar + ": " + e);
    }
  }
}

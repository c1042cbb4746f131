package io.roam.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/** Compiles a user's guest program from source and packs it into a jar, as a user would. */
final class UserProgramJar {
  static final String CLASS_NAME = "com.example.Counter";

  private static final String SOURCE = """
      package com.example;

      import io.roam.agent.guest.GuestArgs;
      import io.roam.agent.guest.GuestProgram;
      import io.roam.agent.memory.GuestMemory;

      public class Counter implements GuestProgram {
        public void boot(GuestMemory m, GuestArgs a) { m.putLong(0, 0); }
        public void resume(GuestMemory m, GuestArgs a) {}
        public void step(GuestMemory m) throws InterruptedException {
          m.putLong(0, m.getLong(0) + 1);
          Thread.sleep(2);
        }
      }
      """;

  private UserProgramJar() {}

  static Path build(Path dir) throws IOException {
    Path src = dir.resolve("src/com/example/Counter.java");
    Path classes = dir.resolve("classes");
    Files.createDirectories(src.getParent());
    Files.createDirectories(classes);
    Files.writeString(src, SOURCE);
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    int rc = javac.run(null, null, null, "-cp", System.getProperty("java.class.path"), "-d", classes.toString(), src.toString());
    if (rc != 0) {
      throw new IOException("javac failed with " + rc);
    }
    Path jar = dir.resolve("counter.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (Path c : List.of(classes.resolve("com/example/Counter.class"))) {
        out.putNextEntry(new JarEntry(classes.relativize(c).toString()));
        Files.copy(c, out);
        out.closeEntry();
      }
    }
    return jar;
  }
}

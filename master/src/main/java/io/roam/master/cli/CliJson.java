package io.roam.master.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.MapEntry;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * roamctl's JSON and YAML output: one stable document per command, the same for {@code -o json}
 * and {@code -o yaml}, described by the JSON Schemas in docs/schema ({@link #schemas()} makes them;
 * a test checks the files are what it makes and that real output validates against them).
 *
 * <p>The rules, for every object: each field is present (its zero value when unset), named in
 * lowerCamelCase; integers of every width are JSON numbers (sizes in bytes, times in milliseconds
 * since the epoch or durations in the unit their name ends with); fractional numbers are numbers,
 * or null when not finite; states and other enumerations are lower-case words ("running", not
 * "VM_STATE_RUNNING"; "unknown" when not known; a field named state or *_state is always lower case); lists are arrays; maps are objects. Fields are only
 * ever added: a script that reads today's fields keeps working.
 *
 * <p>Thread-safety: stateless, safe for concurrent use.
 */
final class CliJson {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  /** Indented, "key": value (no space before the colon), as most tools print JSON. */
  private static final com.fasterxml.jackson.databind.ObjectWriter JSON = new ObjectMapper().writer(
      new com.fasterxml.jackson.core.util.DefaultPrettyPrinter().withSeparators(
          com.fasterxml.jackson.core.util.Separators.createDefaultInstance()
              .withObjectFieldValueSpacing(com.fasterxml.jackson.core.util.Separators.Spacing.AFTER)));
  private static final com.fasterxml.jackson.databind.ObjectWriter YAML = new ObjectMapper(YAMLFactory.builder()
      .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER).enable(YAMLGenerator.Feature.MINIMIZE_QUOTES).build()).writer();
  static final String SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema";

  /** Each output document, by the name of its schema file (docs/schema/roamctl-NAME.schema.json). */
  static final Map<String, Descriptor> OUTPUTS = outputs();

  private CliJson() {}

  private static Map<String, Descriptor> outputs() {
    Map<String, Descriptor> m = new LinkedHashMap<>();
    m.put("host-list", io.roam.proto.ListHostsResponse.getDescriptor());
    m.put("host", io.roam.proto.HostInfo.getDescriptor());
    m.put("vm-list", io.roam.proto.ListVmsResponse.getDescriptor());
    m.put("vm", io.roam.proto.VmInfo.getDescriptor());
    m.put("migration-list", io.roam.proto.ListMigrationsResponse.getDescriptor());
    m.put("migration", io.roam.proto.MigrationInfo.getDescriptor());
    m.put("event-list", io.roam.proto.ListEventsResponse.getDescriptor());
    m.put("event", io.roam.proto.Event.getDescriptor());
    m.put("leader", io.roam.proto.LeaderInfo.getDescriptor());
    m.put("drs-status", io.roam.proto.DrsStatus.getDescriptor());
    m.put("rule-list", io.roam.proto.ListRulesResponse.getDescriptor());
    m.put("cluster-check", io.roam.proto.ClusterCheckReport.getDescriptor());
    m.put("task", io.roam.proto.TaskInfo.getDescriptor());
    m.put("task-list", io.roam.proto.ListTasksResponse.getDescriptor());
    return m;
  }

  /** The document of {@code m} as a tree. */
  static ObjectNode tree(MessageOrBuilder m) {
    ObjectNode o = NODES.objectNode();
    for (FieldDescriptor f : m.getDescriptorForType().getFields()) {
      Object v = m.getField(f);
      if (f.isMapField()) {
        ObjectNode map = o.putObject(f.getJsonName());
        FieldDescriptor valueField = f.getMessageType().findFieldByName("value");
        for (Object entry : (List<?>) v) {
          MapEntry<?, ?> e = (MapEntry<?, ?>) entry;
          map.set(String.valueOf(e.getKey()), value(valueField, e.getValue()));
        }
      } else if (f.isRepeated()) {
        ArrayNode a = o.putArray(f.getJsonName());
        for (Object item : (List<?>) v) {
          a.add(value(f, item));
        }
      } else {
        o.set(f.getJsonName(), value(f, v));
      }
    }
    return o;
  }

  private static JsonNode value(FieldDescriptor f, Object v) {
    return switch (f.getJavaType()) {
      case INT -> f.getType() == FieldDescriptor.Type.UINT32 || f.getType() == FieldDescriptor.Type.FIXED32
          ? NODES.numberNode(Integer.toUnsignedLong((Integer) v)) : NODES.numberNode((Integer) v);
      case LONG -> f.getType() == FieldDescriptor.Type.UINT64 || f.getType() == FieldDescriptor.Type.FIXED64
          ? NODES.numberNode(new java.math.BigInteger(Long.toUnsignedString((Long) v))) : NODES.numberNode((Long) v);
      case FLOAT -> finite(((Float) v).doubleValue());
      case DOUBLE -> finite((Double) v);
      case BOOLEAN -> NODES.booleanNode((Boolean) v);
      case STRING -> NODES.textNode(isState(f) ? ((String) v).toLowerCase(Locale.ROOT) : (String) v);
      case BYTE_STRING -> NODES.textNode(Base64.getEncoder().encodeToString(((ByteString) v).toByteArray()));
      case ENUM -> NODES.textNode(word((EnumValueDescriptor) v));
      case MESSAGE -> tree((Message) v);
    };
  }

  /** A state kept as a string (a host's, a VM's desired one): a lower-case word like the enumerations'. */
  private static boolean isState(FieldDescriptor f) {
    return f.getName().equals("state") || f.getName().endsWith("_state");
  }

  private static JsonNode finite(double d) {
    return Double.isFinite(d) ? NODES.numberNode(d) : NODES.nullNode();
  }

  /** VM_STATE_RUNNING of enum VmState: "running"; *_UNSPECIFIED: "unknown"; words joined by '-'. */
  static String word(EnumValueDescriptor v) {
    String prefix = v.getType().getName().replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase(Locale.ROOT) + "_";
    String name = v.getName().startsWith(prefix) ? v.getName().substring(prefix.length()) : v.getName();
    return name.equals("UNSPECIFIED") ? "unknown" : name.toLowerCase(Locale.ROOT).replace('_', '-');
  }

  static String json(MessageOrBuilder m) {
    return write(JSON, tree(m));
  }

  /** One line of JSON (a stream of documents, as {@code events -f -o json} prints them). */
  static String jsonLine(MessageOrBuilder m) {
    return tree(m).toString();
  }

  static String yaml(MessageOrBuilder m) {
    return write(YAML, tree(m)).stripTrailing();
  }

  private static String write(com.fasterxml.jackson.databind.ObjectWriter mapper, JsonNode n) {
    try {
      return mapper.writeValueAsString(n);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  // ---- schemas ----

  /** The schema of each output document, by name (see {@link #OUTPUTS}), as docs/schema holds them. */
  static Map<String, String> schemas() {
    Map<String, String> m = new LinkedHashMap<>();
    OUTPUTS.forEach((name, d) -> m.put(name, write(JSON, schema(name, d)) + "\n"));
    return m;
  }

  static ObjectNode schema(String name, Descriptor root) {
    ObjectNode s = NODES.objectNode();
    s.put("$schema", SCHEMA_DIALECT);
    s.put("$id", "urn:roam:schema:roamctl-" + name);
    s.put("title", "roamctl -o json: " + name);
    s.put("description", "Generated from roamctl's output rules (CliJson); fields are only ever added.");
    Map<String, ObjectNode> defs = new java.util.TreeMap<>();
    ObjectNode body = objectSchema(root, defs);
    s.setAll(body);
    if (!defs.isEmpty()) {
      ObjectNode d = s.putObject("$defs");
      defs.forEach(d::set);
    }
    return s;
  }

  private static ObjectNode objectSchema(Descriptor d, Map<String, ObjectNode> defs) {
    ObjectNode o = NODES.objectNode();
    o.put("type", "object");
    ObjectNode props = o.putObject("properties");
    ArrayNode required = o.putArray("required");
    for (FieldDescriptor f : d.getFields()) {
      required.add(f.getJsonName());
      if (f.isMapField()) {
        ObjectNode map = NODES.objectNode().put("type", "object");
        map.set("additionalProperties", fieldSchema(f.getMessageType().findFieldByName("value"), defs));
        props.set(f.getJsonName(), map);
      } else if (f.isRepeated()) {
        ObjectNode a = NODES.objectNode().put("type", "array");
        a.set("items", fieldSchema(f, defs));
        props.set(f.getJsonName(), a);
      } else {
        props.set(f.getJsonName(), fieldSchema(f, defs));
      }
    }
    o.put("additionalProperties", false);
    return o;
  }

  private static ObjectNode fieldSchema(FieldDescriptor f, Map<String, ObjectNode> defs) {
    ObjectNode s = NODES.objectNode();
    switch (f.getJavaType()) {
      case INT, LONG -> {
        s.put("type", "integer");
        if (f.getType().name().startsWith("UINT") || f.getType().name().startsWith("FIXED")) {
          s.put("minimum", 0);
        }
      }
      case FLOAT, DOUBLE -> s.putArray("type").add("number").add("null");
      case BOOLEAN -> s.put("type", "boolean");
      case STRING -> s.put("type", "string");
      case BYTE_STRING -> s.put("type", "string").put("contentEncoding", "base64");
      case ENUM -> {
        s.put("type", "string");
        ArrayNode words = s.putArray("enum");
        EnumDescriptor e = f.getEnumType();
        e.getValues().forEach(v -> words.add(word(v)));
      }
      case MESSAGE -> {
        Descriptor m = f.getMessageType();
        if (!defs.containsKey(m.getName())) {
          defs.put(m.getName(), NODES.objectNode()); // placeholder: a message may contain itself
          defs.put(m.getName(), objectSchema(m, defs));
        }
        s.put("$ref", "#/$defs/" + m.getName());
      }
      default -> throw new IllegalStateException("no JSON rule for " + f.getJavaType());
    }
    return s;
  }
}

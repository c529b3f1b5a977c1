package org.lrn4j.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;

import org.lrn4j.backend.Backend;
import org.lrn4j.backend.Backends;
import org.lrn4j.backend.NativeBackend;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lrn4j info}: which backends can run here, which one is selected and why, the CPU and CUDA devices. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show the available backends, the selected one and why, CPU features and CUDA devices.")
final class InfoCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print one JSON object instead of text.")
    boolean json;

    @Override
    public Integer call() {
        Map<String, Object> info = new LinkedHashMap<>();
        info.put("version", Main.version());
        info.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        Backend selected = Backends.get();
        info.put("selected", selected.name());
        info.put("selected_description", selected.description());
        info.put("reason", Backends.selectionReason());
        List<Backends.Probe> probes = Backends.probeAll();
        Map<String, Object> backends = new LinkedHashMap<>();
        for (Backends.Probe p : probes) {
            backends.put(p.name(), Map.of("available", p.available(), "detail", p.detail()));
        }
        info.put("backends", backends);
        Map<String, Object> cpu = new LinkedHashMap<>();
        cpu.put("model", cpuModel().orElse("unknown"));
        cpu.put("processors", Runtime.getRuntime().availableProcessors());
        cpu.put("arch", System.getProperty("os.arch"));
        try {
            cpu.put("features", NativeBackend.cpuFeatures());
        } catch (LinkageError | IllegalStateException e) {
            cpu.put("features", "unknown (native library not loaded)");
        }
        try {
            NativeBackend nat = NativeBackend.load();
            cpu.put("native_isa", nat.isaName());
            cpu.put("native_kernels", nat.isa());
        } catch (LinkageError | IllegalStateException e) {
            cpu.put("native_isa", "none (" + e.getMessage() + ")");
        }
        info.put("cpu", cpu);
        Backends.Probe cuda = probes.stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        info.put("cuda_devices", cuda.available() ? List.of(cuda.detail()) : List.of());
        if (!cuda.available()) {
            info.put("cuda_reason", cuda.detail());
        }
        if (json) {
            Gson gson = new GsonBuilder().disableHtmlEscaping().create();
            System.out.println(gson.toJson(info));
        } else {
            System.out.printf("lrn4j %s on %s%n", info.get("version"), info.get("java"));
            System.out.printf("selected backend: %s — %s%n  why: %s%n", selected.name(), selected.description(),
                    info.get("reason"));
            System.out.println("backends:");
            for (Backends.Probe p : probes) {
                System.out.printf("  %-7s %-12s %s%n", p.name(), p.available() ? "available" : "unavailable",
                        p.detail());
            }
            System.out.printf("cpu: %s, %s processors, %s, features: %s%n", cpu.get("model"), cpu.get("processors"),
                    cpu.get("arch"), cpu.get("features"));
            System.out.printf("native kernel set: %s%s (choose with -Dlrn4j.isa or LRN4J_ISA=scalar|avx2|avx512)%n",
                    cpu.get("native_isa"), cpu.containsKey("native_kernels") ? " — " + cpu.get("native_kernels") : "");
            System.out.printf("cuda devices: %s%n", cuda.available() ? cuda.detail() : "none (" + cuda.detail() + ")");
        }
        return 0;
    }

    private static Optional<String> cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}

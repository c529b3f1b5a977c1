package org.lrn4j.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendSelectionTest {
    @Test
    void nativeBackendLoadsWithItsKernelSet() {
        NativeBackend nb = NativeBackend.load();
        assertTrue(nb.threads() >= 1);
        assertTrue(nb.description().startsWith("native CPU kernels ("), nb.description());
    }

    @Test
    void automaticSelectionPrefersCudaThenNative() {
        Backend selected = Backends.get();
        boolean cuda = Backends.probeAll().stream().anyMatch(p -> p.name().equals("cuda") && p.available());
        if (System.getProperty(Backends.PROPERTY) == null) {
            assertEquals(cuda ? "cuda" : "native", selected.name(), Backends.selectionReason());
        }
        assertFalse(Backends.selectionReason().isBlank());
    }

    @Test
    void forcingABackendSelectsItOrSaysWhyNot() {
        assertEquals("java", Backends.choose("java").backend().name());
        assertTrue(Backends.choose(" Native ").reason().contains("forced by -Dlrn4j.backend=native"));
        Backends.Probe cuda = Backends.probeAll().stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        if (!cuda.available()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.choose("cuda"));
            assertTrue(e.getMessage().startsWith("-Dlrn4j.backend=cuda was requested but "), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Backends.choose("gpu"));
    }

    @Test
    void unknownNameIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Backends.byName("tpu"));
        assertTrue(e.getMessage().contains("use java, native or cuda"));
    }

    @Test
    void unavailableCudaExplainsItself() {
        Backends.Probe cuda = Backends.probeAll().stream().filter(p -> p.name().equals("cuda")).findFirst().orElseThrow();
        if (!cuda.available()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Backends.byName("cuda"));
            assertEquals(cuda.detail(), e.getMessage());
            assertFalse(e.getMessage().isBlank());
        }
    }
}

package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PerformanceModelTest {
    private final PerformanceModel devMachine = new PerformanceModel(190, 26);

    @Test
    void gemmFloorIsFlopsOverPeak() {
        assertEquals(2.0 * 4096 * 768 * 256 / 190e9 * 1e3, devMachine.gemmMs(4096, 768, 256), 1e-12);
    }

    @Test
    void scanBytesCountEveryPlaneReadAndWritten() {
        double rowsTimesHidden = 32.0 * 128 * 256;
        assertEquals(4 * rowsTimesHidden * 4, PerformanceModel.scanForwardBytes(32, 128, 256), 0);
        assertEquals(4 * rowsTimesHidden * 8, PerformanceModel.scanBackwardBytes(32, 128, 256), 0);
        assertEquals(4 * rowsTimesHidden * 6, PerformanceModel.olrnScanForwardBytes(32, 128, 256), 0);
        assertEquals(4 * rowsTimesHidden * 11, PerformanceModel.olrnScanBackwardBytes(32, 128, 256), 0);
    }

    /** DESIGN.md's example: batch 32, 128 steps, input 256, hidden 256: ≈ 9.3 ms forward, ≈ 29 ms with backward. */
    @Test
    void layerFloorsMatchTheDesignExample() {
        assertEquals(9.3, devMachine.lrnForwardMs(32, 128, 256, 256), 0.3);
        assertEquals(29, devMachine.lrnForwardBackwardMs(32, 128, 256, 256), 1.5);
    }

    /** DESIGN.md: an LSTM of the same size needs about 2.7× the FLOPs of the LRN's gate GEMM. */
    @Test
    void lstmFloorsCountFourGatesOverInputAndState() {
        assertEquals(8.0 / 3, devMachine.lstmForwardMs(32, 128, 256, 256) / devMachine.gemmMs(4096, 768, 256), 1e-12);
        assertEquals(3 * devMachine.lstmForwardMs(1, 1, 512, 512), devMachine.lstmForwardBackwardMs(1, 1, 512, 512),
                1e-12);
    }

    @Test
    void rejectsNonPositiveRates() {
        assertThrows(IllegalArgumentException.class, () -> new PerformanceModel(0, 26));
        assertThrows(IllegalArgumentException.class, () -> new PerformanceModel(190, Double.NaN));
    }

    /** bench cpu's default peak: threads x 2 FMA units x lanes x 2 flops x the clock of /proc/cpuinfo. */
    @Test
    void modelPeakComesFromTheClockAndTheKernelSet() {
        assertEquals(2299.998, CpuBenchCommand.cpuMhz(java.util.List.of("processor\t: 0", "model name\t: Xeon",
                "cpu MHz\t\t: 2299.998", "cpu MHz\t\t: 1200.000")), 0);
        assertEquals(0, CpuBenchCommand.cpuMhz(java.util.List.of("processor\t: 0", "cpu MHz\t: n/a")));
        assertEquals(0, CpuBenchCommand.cpuMhz(java.util.List.of()));
        if (java.nio.file.Files.exists(java.nio.file.Path.of("/proc/cpuinfo"))) {
            try {
                double avx512 = CpuBenchCommand.modelPeakGflops(2, "avx512");
                assertEquals(avx512 / 2, CpuBenchCommand.modelPeakGflops(2, "avx2"), 1e-9);
                assertEquals(avx512 / 2, CpuBenchCommand.modelPeakGflops(1, "avx512"), 1e-9);
            } catch (IllegalStateException | java.io.IOException e) {
                // no clock in this /proc/cpuinfo (some virtual machines and non-x86 kernels): nothing to check
            }
        }
    }
}

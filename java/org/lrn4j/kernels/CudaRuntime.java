package org.lrn4j.kernels;

import java.io.File;
import java.io.IOException;
import java.net.URL;

import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;

/**
 * The CUDA runtime calls lrn4j makes (device memory, streams, copies), through the JavaCPP CUDA presets,
 * and the opening of our CUDA kernel library. Every method throws {@link IllegalStateException} with the
 * runtime's error string on failure. Addresses cross as {@code long}.
 */
public final class CudaRuntime {
    /** Name of the CUDA kernel library inside the jar, next to the CPU library. */
    public static final String KERNEL_LIBRARY = "liblrn4j_cuda.so";

    private CudaRuntime() {
    }

    /** A pointer at a raw address, for runtime calls that take {@link Pointer} arguments. */
    private static final class Address extends Pointer {
        Address(long address) {
            this.address = address;
        }
    }

    /**
     * Loads the CUDA runtime bindings, counts the devices, and opens the CUDA kernel library packaged
     * with this build. Returns the device count (> 0) or throws with the reason CUDA cannot be used.
     */
    public static int open() {
        URL library;
        try {
            library = Loader.findResource(NativeKernels.class, Loader.getPlatform() + "/" + KERNEL_LIBRARY);
        } catch (IOException e) {
            throw new IllegalStateException("cannot look up " + KERNEL_LIBRARY + ": " + e.getMessage(), e);
        }
        if (library == null) {
            throw new IllegalStateException("this build has no CUDA kernels (nvcc was not on the PATH when "
                    + "lrn4j was built)");
        }
        try {
            Loader.load(cudart.class);
        } catch (Throwable e) {
            String cause = String.valueOf(e.getMessage());
            throw new IllegalStateException("the CUDA runtime bindings cannot load; they need the NVIDIA driver "
                    + "(libcuda.so.1) and libcudart.so.13 on the loader path (" + e.getClass().getSimpleName() + ": "
                    + (cause.length() > 120 ? cause.substring(0, 120) + "..." : cause) + ")", e);
        }
        int[] count = new int[1];
        int err = cudart.cudaGetDeviceCount(count);
        if (err != 0) {
            throw new IllegalStateException("no usable CUDA device: " + errorString(err));
        }
        if (count[0] < 1) {
            throw new IllegalStateException("no CUDA device");
        }
        File file;
        try {
            file = Loader.cacheResource(library);
        } catch (IOException e) {
            throw new IllegalStateException("cannot extract " + KERNEL_LIBRARY + ": " + e.getMessage(), e);
        }
        if (NativeKernels.cudaBridgeOpen(file.getPath()) != 0) {
            throw new IllegalStateException("cannot open " + file + ": " + NativeKernels.cudaBridgeError());
        }
        return count[0];
    }

    /** The runtime's text for an error code. */
    public static String errorString(int err) {
        BytePointer s = cudart.cudaGetErrorString(err);
        return (s == null ? "unknown error" : s.getString()) + " (cudaError " + err + ")";
    }

    /** Throws {@link IllegalStateException} naming {@code what} unless {@code err} is cudaSuccess. */
    public static void check(int err, String what) {
        if (err != 0) {
            throw new IllegalStateException(what + " failed: " + errorString(err));
        }
    }

    public static void setDevice(int device) {
        check(cudart.cudaSetDevice(device), "cudaSetDevice(" + device + ")");
    }

    /** "NVIDIA H100 80GB HBM3, compute 9.0, 79.1 GiB". */
    public static String describeDevice(int device) {
        cudaDeviceProp prop = new cudaDeviceProp();
        check(cudart.cudaGetDeviceProperties(prop, device), "cudaGetDeviceProperties");
        return String.format("%s, compute %d.%d, %.1f GiB", prop.name().getString(), prop.major(), prop.minor(),
                prop.totalGlobalMem() / (double) (1L << 30));
    }

    /** A new stream; keep the returned object alive for as long as the stream is used. */
    public static CUstream_st createStream() {
        CUstream_st stream = new CUstream_st();
        check(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
        return stream;
    }

    public static void synchronize(CUstream_st stream) {
        check(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
    }

    /** Device memory of {@code bytes} bytes, zero-filled; returns its address. */
    public static long malloc(long bytes, CUstream_st stream) {
        Pointer p = new Pointer();
        check(cudart.cudaMalloc(p, Math.max(bytes, 1)), "cudaMalloc(" + bytes + " bytes)");
        int err = cudart.cudaMemsetAsync(p, 0, bytes, stream);
        if (err == 0) {
            err = cudart.cudaStreamSynchronize(stream);
        }
        if (err != 0) {
            cudart.cudaFree(p);
            check(err, "cudaMemset");
        }
        return p.address();
    }

    public static void free(long address) {
        check(cudart.cudaFree(new Address(address)), "cudaFree");
    }

    /** Enqueues setting {@code bytes} bytes at {@code address} to zero on {@code stream} (no wait). */
    public static void zero(long address, long bytes, CUstream_st stream) {
        check(cudart.cudaMemsetAsync(new Address(address), 0, bytes, stream), "cudaMemsetAsync");
    }

    /** Copies {@code bytes} bytes and waits for the copy to finish (kinds: cudaMemcpyHostToDevice, ...). */
    public static void copy(long dst, long src, long bytes, int kind, CUstream_st stream) {
        check(cudart.cudaMemcpyAsync(new Address(dst), new Address(src), bytes, kind, stream), "cudaMemcpyAsync");
        synchronize(stream);
    }

    // cudaMemcpyKind values of the CUDA runtime API.
    public static final int HOST_TO_DEVICE = 1;
    public static final int DEVICE_TO_HOST = 2;
    public static final int DEVICE_TO_DEVICE = 3;
}

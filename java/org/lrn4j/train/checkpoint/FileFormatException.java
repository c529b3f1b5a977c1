package org.lrn4j.train.checkpoint;

import java.io.IOException;

/**
 * A file that is not what it claims to be: a truncated or corrupted safetensors file, a checkpoint whose
 * JSON is malformed, or whose data does not match its recorded size or SHA-256. The message names the file
 * and what is wrong with it.
 */
public class FileFormatException extends IOException {
    private static final long serialVersionUID = 1L;

    public FileFormatException(String message) {
        super(message);
    }

    public FileFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}

package dev.graft.text;

/** Placeholder: being written. */
public final class TextTokenizer implements AutoCloseable {
    @Override
    public void close() {
    }
}

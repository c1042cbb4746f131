package io.roam.agent.memory;

import static io.roam.agent.memory.MemoryLayout.PAGE_SHIFT;
import static io.roam.agent.memory.MemoryLayout.PAGE_SIZE;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.zip.CRC32C;

/**
 * A VM's guest memory: a file of fixed-size pages mapped by the VM process and by its agent.
 * Addresses are guest addresses: 0 is the first byte of the first page.
 *
 * <p>Every write marks the pages it touched in the {@link DirtyLog} after the bytes are written.
 * The page region is mapped in 1 GiB chunks (a Java buffer stops at 2 GiB); an access that spans
 * two chunks is split. Out-of-range accesses throw {@link GuestMemoryException}; nothing wraps.
 *
 * <p>Thread-safety: accesses may come from any thread; concurrent writes to the same bytes race as
 * they would on real memory. {@link #close()} must not race with accesses.
 */
public final class GuestMemory implements AutoCloseable {
  static final int CHUNK_SHIFT = 30;
  static final long CHUNK_SIZE = 1L << CHUNK_SHIFT;
  private static final long CHUNK_MASK = CHUNK_SIZE - 1;

  private final Path file;
  private final long pageCount;
  private final long size;
  private final MappedByteBuffer headerAndBitmap;
  private final MappedByteBuffer[] chunks;
  private final GuestMemoryHeader header;
  private final DirtyLog dirtyLog;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** For {@link #writePages}: opened on first use, closed with the memory. Guarded by {@code this}. */
  private FileChannel writer;

  private GuestMemory(Path file, long pageCount, MappedByteBuffer headerAndBitmap, MappedByteBuffer[] chunks) {
    this.file = file;
    this.pageCount = pageCount;
    this.size = pageCount * PAGE_SIZE;
    this.headerAndBitmap = headerAndBitmap;
    this.chunks = chunks;
    this.header = new GuestMemoryHeader(headerAndBitmap.slice(0, PAGE_SIZE).order(ByteOrder.nativeOrder()));
    int bitmapBytes = (int) MemoryLayout.bitmapBytes(pageCount);
    MappedByteBuffer bitmap = (MappedByteBuffer) headerAndBitmap.slice(PAGE_SIZE, bitmapBytes);
    MappedByteBuffer written = (MappedByteBuffer) headerAndBitmap.slice(
        (int) MemoryLayout.writtenBitmapOffset(pageCount), bitmapBytes);
    this.dirtyLog = new DirtyLog(bitmap, written, pageCount);
  }

  /** Creates a new, zeroed guest memory file of {@code sizeBytes} (replacing any file there) and maps it. */
  public static GuestMemory create(Path file, long sizeBytes) {
    MemoryLayout.checkSize(sizeBytes);
    long pageCount = sizeBytes / PAGE_SIZE;
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.deleteIfExists(file);
      // 0600 from the first moment: the file holds the VM's whole state (created, never opened for
      // a moment with the umask's wider mode). CREATE_NEW: never a file someone put there meanwhile.
      Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
          java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
        raf.setLength(MemoryLayout.fileSize(pageCount));
      }
    } catch (IOException e) {
      throw new GuestMemoryException("cannot create guest memory file " + file + ": " + e.getMessage(), e);
    }
    GuestMemory memory = map(file, pageCount);
    memory.header.initialize(pageCount);
    return memory;
  }

  /** Maps an existing guest memory file, checking its header. */
  public static GuestMemory open(Path file) {
    long fileSize;
    try {
      fileSize = Files.size(file);
    } catch (IOException e) {
      throw new GuestMemoryException("cannot open guest memory file " + file + ": " + e.getMessage(), e);
    }
    if (fileSize < PAGE_SIZE) {
      throw new GuestMemoryException("corrupt guest memory file " + file + ": " + fileSize + " bytes is smaller than its header");
    }
    long pageCount;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer hdr = ByteBuffer.allocate(PAGE_SIZE).order(ByteOrder.nativeOrder());
      ch.read(hdr, 0);
      pageCount = GuestMemoryHeader.validate(hdr, file);
    } catch (IOException e) {
      throw new GuestMemoryException("cannot read guest memory file " + file + ": " + e.getMessage(), e);
    }
    if (MemoryLayout.fileSize(pageCount) != fileSize) {
      throw new GuestMemoryException("corrupt guest memory file " + file + ": header says " + pageCount
          + " pages but the file has " + fileSize + " bytes");
    }
    return map(file, pageCount);
  }

  private static GuestMemory map(Path file, long pageCount) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long dataOffset = MemoryLayout.dataOffset(pageCount);
      MappedByteBuffer meta = ch.map(FileChannel.MapMode.READ_WRITE, 0, dataOffset);
      long size = pageCount * PAGE_SIZE;
      int n = (int) ((size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT);
      MappedByteBuffer[] chunks = new MappedByteBuffer[n];
      for (int i = 0; i < n; i++) {
        long start = (long) i << CHUNK_SHIFT;
        chunks[i] = ch.map(FileChannel.MapMode.READ_WRITE, dataOffset + start, Math.min(CHUNK_SIZE, size - start));
        chunks[i].order(ByteOrder.nativeOrder());
      }
      return new GuestMemory(file, pageCount, meta, chunks);
    } catch (IOException e) {
      throw new GuestMemoryException("cannot map guest memory file " + file + ": " + e.getMessage(), e);
    }
  }

  public Path file() {
    return file;
  }

  public long size() {
    return size;
  }

  public long pageCount() {
    return pageCount;
  }

  public DirtyLog dirtyLog() {
    return dirtyLog;
  }

  public GuestMemoryHeader header() {
    return header;
  }

  // ---- reads ----

  public byte getByte(long addr) {
    check(addr, 1);
    return chunk(addr).get(offset(addr));
  }

  public int getInt(long addr) {
    check(addr, 4);
    int off = offset(addr);
    if (off <= CHUNK_SIZE - 4) {
      return chunk(addr).getInt(off);
    }
    byte[] b = new byte[4];
    read(addr, b, 0, 4);
    return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getInt();
  }

  public long getLong(long addr) {
    check(addr, 8);
    int off = offset(addr);
    if (off <= CHUNK_SIZE - 8) {
      return chunk(addr).getLong(off);
    }
    byte[] b = new byte[8];
    read(addr, b, 0, 8);
    return ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).getLong();
  }

  public void read(long addr, byte[] dst, int dstOff, int len) {
    check(addr, len);
    if (dstOff < 0 || len < 0 || dstOff + len > dst.length) {
      throw new GuestMemoryException("destination range " + dstOff + "+" + len + " outside a " + dst.length + "-byte array");
    }
    while (len > 0) {
      int off = offset(addr);
      int n = (int) Math.min(len, CHUNK_SIZE - off);
      chunk(addr).get(off, dst, dstOff, n);
      addr += n;
      dstOff += n;
      len -= n;
    }
  }

  /**
   * A read-only view of one page, for copying it elsewhere (migration) without a Java array. The
   * view shares the mapping: it sees later writes.
   */
  public ByteBuffer pageView(long page) {
    if (page < 0 || page >= pageCount) {
      throw new GuestMemoryException("page " + page + " is outside guest memory of " + pageCount + " pages");
    }
    long addr = page << PAGE_SHIFT;
    return chunk(addr).slice(offset(addr), PAGE_SIZE).asReadOnlyBuffer();
  }

  /**
   * A read-only view of {@code count} consecutive pages, for copying them out in one go. The run
   * must not cross a 1 GiB mapping boundary ({@link #pagesInChunkFrom} says how far it may go).
   */
  public ByteBuffer pagesView(long firstPage, int count) {
    if (firstPage < 0 || count <= 0 || firstPage + count > pageCount) {
      throw new GuestMemoryException("pages " + firstPage + "+" + count + " are outside guest memory of " + pageCount + " pages");
    }
    long addr = firstPage << PAGE_SHIFT;
    if (count > pagesInChunkFrom(firstPage)) {
      throw new GuestMemoryException("pages " + firstPage + "+" + count + " cross a mapping boundary");
    }
    return chunk(addr).slice(offset(addr), count * PAGE_SIZE).asReadOnlyBuffer();
  }

  /** How many pages, starting at {@code page}, lie in the same mapping chunk. */
  public int pagesInChunkFrom(long page) {
    long addr = page << PAGE_SHIFT;
    return (int) ((CHUNK_SIZE - offset(addr)) >>> PAGE_SHIFT);
  }

  /**
   * True when every byte of the page is zero (zero pages are only named, never sent). A page never
   * written is known to be zero without reading it: reading a tmpfs hole through the mapping would
   * allocate it.
   */
  public boolean isZeroPage(long page) {
    if (!dirtyLog.mayBeWritten(page)) {
      return true;
    }
    ByteBuffer p = pageView(page).order(ByteOrder.nativeOrder());
    for (int i = 0; i < PAGE_SIZE; i += 8) {
      if (p.getLong(i) != 0) {
        return false;
      }
    }
    return true;
  }

  // ---- writes: data first, then the dirty bit ----

  public void putByte(long addr, byte value) {
    check(addr, 1);
    chunk(addr).put(offset(addr), value);
    dirtyLog.mark(addr >>> PAGE_SHIFT, addr >>> PAGE_SHIFT);
  }

  public void putInt(long addr, int value) {
    check(addr, 4);
    int off = offset(addr);
    if (off <= CHUNK_SIZE - 4) {
      chunk(addr).putInt(off, value);
      dirtyLog.mark(addr >>> PAGE_SHIFT, (addr + 3) >>> PAGE_SHIFT);
    } else {
      byte[] b = new byte[4];
      ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putInt(value);
      write(addr, b, 0, 4);
    }
  }

  public void putLong(long addr, long value) {
    check(addr, 8);
    int off = offset(addr);
    if (off <= CHUNK_SIZE - 8) {
      chunk(addr).putLong(off, value);
      dirtyLog.mark(addr >>> PAGE_SHIFT, (addr + 7) >>> PAGE_SHIFT);
    } else {
      byte[] b = new byte[8];
      ByteBuffer.wrap(b).order(ByteOrder.nativeOrder()).putLong(value);
      write(addr, b, 0, 8);
    }
  }

  public void write(long addr, byte[] src, int srcOff, int len) {
    check(addr, len);
    if (srcOff < 0 || len < 0 || srcOff + len > src.length) {
      throw new GuestMemoryException("source range " + srcOff + "+" + len + " outside a " + src.length + "-byte array");
    }
    if (len == 0) {
      return;
    }
    long start = addr;
    int remaining = len;
    while (remaining > 0) {
      int off = offset(addr);
      int n = (int) Math.min(remaining, CHUNK_SIZE - off);
      chunk(addr).put(off, src, srcOff, n);
      addr += n;
      srcOff += n;
      remaining -= n;
    }
    dirtyLog.mark(start >>> PAGE_SHIFT, (start + len - 1) >>> PAGE_SHIFT);
  }

  /**
   * Copies a whole page from {@code src} (its remaining bytes, exactly one page) into guest memory
   * without marking it dirty: the receiving side of a migration fills memory this way. The page is
   * marked written first.
   */
  public void loadPage(long page, ByteBuffer src) {
    if (page < 0 || page >= pageCount) {
      throw new GuestMemoryException("page " + page + " is outside guest memory of " + pageCount + " pages");
    }
    if (src.remaining() != PAGE_SIZE) {
      throw new GuestMemoryException("a page is " + PAGE_SIZE + " bytes, got " + src.remaining());
    }
    long addr = page << PAGE_SHIFT;
    dirtyLog.markWritten(page, page);
    chunk(addr).put(offset(addr), src, src.position(), PAGE_SIZE);
  }

  /**
   * Writes whole pages from {@code src} (a multiple of the page size), page {@code first} onwards,
   * by a positional write into the memory file rather than through the mapping: tmpfs allocates
   * and fills each fresh page in one step, with no page fault and no zeroing first, so a
   * migration's destination needs no pre-touch before the copy (a fresh mapping's first touch costs
   * about 0.7 s per GiB here). The mapping sees the bytes at once (one page cache). A full tmpfs
   * fails the write with an exception, where a write through the mapping would be a SIGBUS. Not
   * marked dirty; marked written before the bytes go in (DESIGN.md "Memory never written").
   * Thread-safe.
   */
  public void writePages(long first, ByteBuffer src) throws java.io.IOException {
    int len = src.remaining();
    if (len % PAGE_SIZE != 0) {
      throw new GuestMemoryException("pages are " + PAGE_SIZE + " bytes each, got " + len + " bytes");
    }
    if (first < 0 || first + len / PAGE_SIZE > pageCount) {
      throw new GuestMemoryException("pages " + first + "+" + len / PAGE_SIZE + " are outside guest memory of "
          + pageCount + " pages");
    }
    if (len == 0) {
      return;
    }
    long at = MemoryLayout.dataOffset(pageCount) + (first << PAGE_SHIFT);
    ByteBuffer b = src.duplicate();
    synchronized (this) {
      if (closed.get()) {
        throw new GuestMemoryException("guest memory " + file + " is closed");
      }
      // Under the lock, after the check: close() unmaps the bitmaps only after it has held it.
      dirtyLog.markWritten(first, first + len / PAGE_SIZE - 1);
      if (writer == null) {
        writer = FileChannel.open(file, StandardOpenOption.WRITE);
      }
      while (b.hasRemaining()) {
        at += writer.write(b, at);
      }
    }
  }

  /**
   * CRC32C of all guest pages: equal digests mean equal memory (tests, and migration's final check).
   * It reads the file, not the mapping, and trusts no bitmap: a read of a tmpfs hole returns zeros
   * without allocating the page (a read through the mapping would allocate every hole), and a page
   * wrongly left out of the written set still counts with its real bytes.
   */
  public long digest() {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    long at = MemoryLayout.dataOffset(pageCount);
    long end = at + size;
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      while (at < end) {
        buf.clear().limit((int) Math.min(buf.capacity(), end - at));
        int n = ch.read(buf, at);
        if (n < 0) {
          throw new GuestMemoryException("guest memory file " + file + " ends before its last page");
        }
        at += n;
        crc.update(buf.flip());
      }
    } catch (IOException e) {
      throw new GuestMemoryException("cannot read guest memory file " + file + ": " + e.getMessage(), e);
    }
    return crc.getValue();
  }

  private void check(long addr, long len) {
    if (addr < 0 || len < 0 || addr > size - len) {
      throw new GuestMemoryException("guest address range [" + addr + ", " + (addr + len) + ") is outside guest memory of "
          + size + " bytes");
    }
  }

  private MappedByteBuffer chunk(long addr) {
    return chunks[(int) (addr >>> CHUNK_SHIFT)];
  }

  private static int offset(long addr) {
    return (int) (addr & CHUNK_MASK);
  }

  /** Unmaps the file now rather than at some later garbage collection; idempotent. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    synchronized (this) {
      if (writer != null) {
        try {
          writer.close();
        } catch (java.io.IOException e) {
          // nothing was buffered: positional writes go straight to the file
        }
      }
    }
    unmap(headerAndBitmap);
    for (MappedByteBuffer c : chunks) {
      unmap(c);
    }
  }

  private static final Method INVOKE_CLEANER;
  private static final Object UNSAFE;

  static {
    Method m = null;
    Object u = null;
    try {
      Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
      Field f = unsafeClass.getDeclaredField("theUnsafe");
      f.setAccessible(true);
      u = f.get(null);
      m = unsafeClass.getMethod("invokeCleaner", ByteBuffer.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Without it, mappings are released by the garbage collector; correct, only later.
    }
    INVOKE_CLEANER = m;
    UNSAFE = u;
  }

  private static void unmap(MappedByteBuffer buffer) {
    if (INVOKE_CLEANER == null) {
      return;
    }
    try {
      INVOKE_CLEANER.invoke(UNSAFE, buffer);
    } catch (ReflectiveOperationException e) {
      // Left to the garbage collector.
    }
  }
}

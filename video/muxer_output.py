"""An in-memory output for PyAV's MP4 muxer: it collects what the muxer writes until it is handed on."""


class MuxerOutput:
    """A file-like object without seek(), so the muxer writes every byte once, in order."""

    def __init__(self) -> None:
        self.buffer = bytearray()

    def write(self, data: bytes) -> int:
        self.buffer += data
        return len(data)

    def take(self) -> bytes:
        """Everything written so far, emptying the buffer."""
        data = bytes(self.buffer)
        self.buffer.clear()
        return data

    def take_boxes(self) -> list[tuple[bytes, bytes]]:
        """The complete top-level MP4 boxes written so far, as (type, bytes); a box still being written stays."""
        boxes, offset = [], 0
        while len(self.buffer) - offset >= 8:
            size = int.from_bytes(self.buffer[offset : offset + 4], "big")
            if size < 8 or len(self.buffer) - offset < size:
                break  # 64-bit sizes (size 1) do not occur in one frame's fragment
            boxes.append((bytes(self.buffer[offset + 4 : offset + 8]), bytes(self.buffer[offset : offset + size])))
            offset += size
        del self.buffer[:offset]
        return boxes

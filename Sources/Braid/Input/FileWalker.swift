#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Turns file and folder paths into items, walking folders recursively.
///
/// Order: roots in the order pushed; inside a folder, files come in byte-wise order of their relative paths,
/// the order of `find . -type f | LC_ALL=C sort`. (Siblings are sorted by name, with `/` appended to folder names,
/// which makes depth-first order equal full-path order: `a-b` comes before `a/x` because `-` < `/`.)
///
/// Ids: a file given as a root is its own id; a file found in a folder has its path relative to that folder.
/// Both go through ``ItemID`` escaping. The extension filter applies to files found in folders, not to files named
/// as roots.
///
/// Symbolic links are followed. A link that leads back to a folder being walked is reported once as a failure
/// (no infinite walk); so are dangling links, folders that cannot be listed and entries that are neither files
/// nor folders. A file whose path is not valid UTF-8 cannot be named by `Item.Source.file`'s `String`, so its bytes
/// are read during the walk and it travels as `.bytes`.
struct FileWalker {
    private struct FileKey: Equatable {
        let device: UInt64
        let inode: UInt64
    }

    private struct Entry {
        let path: [UInt8]
        let id: [UInt8]
        /// `stat` of the path (links followed) taken when the entry was listed, or its errno.
        let status: Result<stat, FileError>
        /// Folders above this entry, to recognise a link that leads back into one of them.
        let ancestors: [FileKey]
        let isRoot: Bool
    }

    private struct FileError: Error {
        let code: Int32
    }

    let filter: ExtensionFilter
    /// Entries still to visit; the next one is last.
    private var pending: [Entry] = []

    init(filter: ExtensionFilter) {
        self.filter = filter
    }

    /// Queues a path given by the user; its items come after those of earlier roots still pending.
    mutating func push(root path: [UInt8]) {
        var trimmed = path
        while trimmed.count > 1 && trimmed.last == UInt8(ascii: "/") { trimmed.removeLast() }
        let root = Entry(path: trimmed, id: path, status: Self.status(of: trimmed), ancestors: [], isRoot: true)
        pending.insert(root, at: 0)
    }

    mutating func next() -> Result<Item, ItemFailure>? {
        while let entry = pending.popLast() {
            let info: stat
            switch entry.status {
            case .success(let status):
                info = status
            case .failure(let error):
                return failure(entry, Self.explain(error, path: entry.path))
            }
            switch info.st_mode & S_IFMT {
            case S_IFDIR:
                let key = FileKey(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
                if entry.ancestors.contains(key) {
                    return failure(entry, "symbolic link loop: leads back to a folder that contains it")
                }
                switch listing(of: entry, key: key) {
                case .success(let children): pending.append(contentsOf: children.reversed())
                case .failure(let error): return failure(entry, "cannot list folder: \(errnoDescription(error.code))")
                }
            case S_IFREG:
                guard entry.isRoot || filter.accepts(name: entry.path) else { continue }
                return item(for: entry)
            default:
                return failure(entry, "not a regular file or folder")
            }
        }
        return nil
    }

    private func item(for entry: Entry) -> Result<Item, ItemFailure> {
        let id = ItemID.escaping(entry.id)
        if let path = String(validating: entry.path, as: UTF8.self) {
            return .success(Item(id: id, source: .file(path: path)))
        }
        do throws(InputError) {
            let reader = try ByteReader(path: entry.path, name: id)
            return .success(Item(id: id, source: .bytes(try reader.readToEnd())))
        } catch {
            return .failure(ItemFailure(id: id, message: error.problem))
        }
    }

    private func failure(_ entry: Entry, _ message: String) -> Result<Item, ItemFailure> {
        .failure(ItemFailure(id: ItemID.escaping(entry.id), message: message))
    }

    /// The entries of a folder, sorted so the walk visits full paths in byte-wise order.
    private func listing(of folder: Entry, key: FileKey) -> Result<[Entry], FileError> {
        guard let directory = opendir(cPath(folder.path)) else { return .failure(FileError(code: errno)) }
        defer { closedir(directory) }
        var children: [(sortKey: [UInt8], entry: Entry)] = []
        let ancestors = folder.ancestors + [key]
        while true {
            errno = 0
            guard let record = readdir(directory) else {
                if errno != 0 { return .failure(FileError(code: errno)) }
                break
            }
            let name = withUnsafeBytes(of: record.pointee.d_name) { raw in Array(raw.prefix { $0 != 0 }) }
            if name == [UInt8(ascii: ".")] || name == [UInt8(ascii: "."), UInt8(ascii: ".")] { continue }
            let separator = folder.path == [UInt8(ascii: "/")] ? [] : [UInt8(ascii: "/")]
            let path = folder.path + separator + name
            let id = folder.isRoot ? name : folder.id + [UInt8(ascii: "/")] + name
            let status = Self.status(of: path)
            let isFolder = (try? status.get()).map { $0.st_mode & S_IFMT == S_IFDIR } ?? false
            let entry = Entry(path: path, id: id, status: status, ancestors: ancestors, isRoot: false)
            children.append((isFolder ? name + [UInt8(ascii: "/")] : name, entry))
        }
        children.sort { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
        return .success(children.map(\.entry))
    }

    private static func status(of path: [UInt8]) -> Result<stat, FileError> {
        var info = stat()
        let result = stat(cPath(path), &info)
        return result == 0 ? .success(info) : .failure(FileError(code: errno))
    }

    /// Why `stat` failed, telling a dangling link from a missing file.
    private static func explain(_ error: FileError, path: [UInt8]) -> String {
        var info = stat()
        if error.code == ENOENT, lstat(cPath(path), &info) == 0, info.st_mode & S_IFMT == S_IFLNK {
            return "dangling symbolic link"
        }
        if error.code == ELOOP { return "symbolic link loop: too many levels of links" }
        return "cannot read: \(errnoDescription(error.code))"
    }
}

/// `path` as a NUL-terminated C string, to pass straight to a system call.
func cPath(_ path: [UInt8]) -> [CChar] {
    path.map { CChar(bitPattern: $0) } + [0]
}

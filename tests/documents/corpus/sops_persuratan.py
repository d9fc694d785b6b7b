"""SOPs of correspondence, archives and meetings (surat masuk/keluar, arsip, rapat)."""

from __future__ import annotations

from tests.documents.corpus.model import Sop
from tests.documents.corpus.writing import header, roles, step

DASAR_TND = (
    "Peraturan Pemerintah Nomor 28 Tahun 2012 tentang Pelaksanaan Undang-Undang Nomor 43 Tahun "
    "2009 tentang Kearsipan | Peraturan Menteri Dalam Negeri Nomor 1 Tahun 2023 tentang Tata "
    "Naskah Dinas di Lingkungan Pemerintah Daerah"
)

SURAT_MASUK_KECAMATAN = Sop(
    header(
        pemerintah="PEMERINTAH KOTA SAMARINDA",
        instansi="KECAMATAN SAMARINDA ULU",
        unit="SEKRETARIAT KECAMATAN",
        nomor="800/012/SOP-SMU/2024",
        nama="Pengelolaan Surat Masuk",
        dibuat="2 Januari 2024",
        efektif="15 Januari 2024",
        jabatan="Camat Samarinda Ulu",
        pejabat="H. ANDI MUHAMMAD RIDWAN, S.STP, M.Si",
        pangkat="Pembina Tk. I (IV/b)",
        nip="19800412 199903 1 002",
        dasar=DASAR_TND + " | Peraturan Wali Kota Samarinda Nomor 35 Tahun 2021 tentang Tata "
        "Naskah Dinas",
        kualifikasi="Pendidikan minimal SMA/sederajat | Memahami tata naskah dinas | Mampu "
        "mengoperasikan komputer",
        keterkaitan="SOP Pengelolaan Surat Keluar | SOP Pengarsipan",
        peralatan="Buku agenda surat masuk | Lembar disposisi | Komputer dan printer | ATK",
        peringatan="Apabila SOP ini tidak dilaksanakan, surat masuk tidak tercatat dan "
        "terlambat ditindaklanjuti",
        pencatatan="Buku agenda surat masuk | Lembar disposisi",
    ),
    roles(
        "camat=Camat",
        "sekcam=Sekretaris Kecamatan",
        "kasi=Kasi Pemerintahan",
        "staf=Staf",
    ),
    (
        step("1", "Menerima surat masuk dan mencatat di buku agenda surat masuk", "staf",
             "5 Menit", "Surat masuk", "Surat tercatat"),
        step("2", "Meneruskan surat beserta lembar disposisi kepada Sekretaris Kecamatan", "staf",
             "5 Menit", "Surat, lembar disposisi", "Surat dan lembar disposisi"),
        step("3", "Menelaah surat dan memberi catatan pada lembar disposisi", "sekcam",
             "15 Menit", "Surat, lembar disposisi", "Catatan telaahan"),
        step("4", "Memeriksa kelengkapan surat dan lampirannya", "sekcam", "10 Menit",
             "Surat dan lampiran", "Surat lengkap", ya="5", tidak="2"),
        step("5", "Mendisposisikan surat kepada Kasi yang membidangi", "camat", "1 Jam",
             "Surat, lembar disposisi", "Disposisi Camat"),
        step("6", "Menerima disposisi dan menindaklanjuti isi surat", "kasi", "1 Hari",
             "Disposisi Camat", "Bahan tindak lanjut"),
        step("7", "Menggandakan surat dan menyampaikan kepada pelaksana", "staf", "15 mnt",
             "Surat terdisposisi", "Salinan surat"),
        step("8", "Mengarsipkan surat masuk sesuai klasifikasi arsip", "staf", "10 Menit",
             "Surat asli", "Arsip surat masuk"),
    ),
)

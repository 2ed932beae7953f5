export { FilesPage } from './components/files-page';
export { UploadForm } from './components/upload-form';
